import { Injectable } from '@nestjs/common';
import { CachedRepository } from '../db/cached.repository';
import { Database } from '../db/database';
import { Order, OrderStatus } from './order.entity';

@Injectable()
export class OrderRepository extends CachedRepository<Order> {
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
