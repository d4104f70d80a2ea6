import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Request } from 'express';
import { ApiKeyService } from './api-key.service';

const API_KEY_HEADER = 'x-api-key';

type RequestWithKey = Request & { apiKeyId?: string };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithKey>();
    const raw = request.header(API_KEY_HEADER);
    if (!raw) {
      throw new UnauthorizedException('missing API key');
    }
    const key = await this.keys.lookup(raw);
    if (!key || key.revokedAt) {
      throw new UnauthorizedException('invalid or revoked API key');
    }
    request.apiKeyId = key.id;
    return true;
  }
}
