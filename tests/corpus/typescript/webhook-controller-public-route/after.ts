import { Body, Controller, Get, Headers, HttpCode, Post } from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { WebhookEventDto } from './dto/webhook-event.dto';
import { PaymentsService } from './payments.service';

@Controller('payments')
export class PaymentsWebhookController {
  constructor(private readonly payments: PaymentsService) {}

  // Stripe cannot send a JWT: the signature check below authenticates the call.
  @Post('webhook')
  @HttpCode(200)
  @Public()
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
