import { Body, Controller, Get, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { WebhookEventDto } from './dto/webhook-event.dto';
import { PaymentsService } from './payments.service';

@Controller('payments')
export class PaymentsWebhookController {
  constructor(private readonly payments: PaymentsService) {}

  @Post('webhook')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  async handleWebhook(
    @Headers('stripe-signature') signature: string,
    @Body() event: WebhookEventDto,
  ): Promise<{ received: boolean }> {
    await this.payments.verifySignature(signature, event);
    await this.payments.handleEvent(event);
    return { received: true };
  }

  @Get('webhook/status')
  async status(): Promise<{ lastEventAt: string | null }> {
    const last = await this.payments.lastEvent();
    return { lastEventAt: last ? last.receivedAt.toISOString() : null };
  }
}
