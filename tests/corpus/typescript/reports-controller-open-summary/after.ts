import { Controller, Get, Header, Query, UseGuards } from '@nestjs/common';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { SummaryQueryDto } from './dto/summary-query.dto';
import { ReportsService } from './reports.service';

@Controller('reports')
@UseGuards(JwtAuthGuard)
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('summary')
  async summary(@Query() query: SummaryQueryDto) {
    return this.reports.summary(query.from, query.to);
  }

  @Get('export.csv')
  @Header('Content-Type', 'text/csv')
  async exportCsv(@Query() query: SummaryQueryDto) {
    const rows = await this.reports.rows(query.from, query.to);
    return this.reports.toCsv(rows);
  }
}
