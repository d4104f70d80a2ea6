import { Injectable } from '@nestjs/common';
import { BaseRepository } from '../db/base.repository';
import { Database } from '../db/database';
import { Order, OrderStatus } from './order.entity';

class OrderCache {
  private readonly entries = new Map<string, Order>();

  get(id: string): Order | undefined {
    return this.entries.get(id);
  }

  set(order: Order): void {
    this.entries.set(order.id, order);
  }
}

@Injectable()
export class OrderRepository extends BaseRepository<Order> {
  constructor(db: Database) {
    super(db, 'orders');
  }

  async findOpenByCustomer(customerId: string): Promise<Order[]> {
    return this.findMany({ customerId, status: OrderStatus.Open });
  }

  async markShipped(id: string, trackingNumber: string): Promise<void> {
    await this.update(id, {
      status: OrderStatus.Shipped,
      trackingNumber,
      shippedAt: new Date(),
    });
  }
}
