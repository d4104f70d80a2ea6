import { Injectable, Logger } from '@nestjs/common';
import { StockLevel } from './inventory.types';
import { StockRepository } from './stock.repository';
import { WarehouseClient } from './warehouse.client';

@Injectable()
export class InventorySyncService {
  private readonly logger = new Logger(InventorySyncService.name);

  constructor(
    private readonly warehouse: WarehouseClient,
    private readonly stock: StockRepository,
  ) {}

  async fetchLevels(skus: string[]): Promise<StockLevel[]> {
    const levels: StockLevel[] = [];
    for (const sku of skus) {
      levels.push(await this.warehouse.getStockLevel(sku));
    }
    return levels;
  }

  async syncAll(): Promise<number> {
    const skus = await this.stock.listTrackedSkus();
    const levels = await this.fetchLevels(skus);
    const changed = levels.filter((level) => level.available !== level.previous);
    await this.stock.saveLevels(changed);
    this.logger.log(`synced ${levels.length} SKUs, ${changed.length} changed`);
    return changed.length;
  }
}
