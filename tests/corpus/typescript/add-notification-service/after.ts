import { Injectable, Logger } from '@nestjs/common';
import { MailerService } from '../mail/mailer.service';
import { PushGateway } from './push.gateway';

export type Channel = 'email' | 'push';

export interface NotificationPayload {
  userId: string;
  email?: string;
  title: string;
  body: string;
  channels: Channel[];
}

export interface DeliveryResult {
  delivered: Channel[];
  failed: Channel[];
}

@Injectable()
export class NotificationService {
  private readonly logger = new Logger(NotificationService.name);

  constructor(
    private readonly mailer: MailerService,
    private readonly push: PushGateway,
  ) {}

  async notify(payload: NotificationPayload): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: [], failed: [] };
    for (const channel of payload.channels) {
      try {
        await this.deliver(channel, payload);
        result.delivered.push(channel);
      } catch (err) {
        this.logger.warn(`${channel} delivery to ${payload.userId} failed: ${(err as Error).message}`);
        result.failed.push(channel);
      }
    }
    return result;
  }

  private async deliver(channel: Channel, payload: NotificationPayload): Promise<void> {
    if (channel === 'email') {
      if (!payload.email) {
        throw new Error(`user ${payload.userId} has no email address`);
      }
      await this.mailer.send({ to: payload.email, subject: payload.title, text: payload.body });
      return;
    }
    await this.push.send(payload.userId, { title: payload.title, body: payload.body });
  }
}
