import { InvoiceService } from './invoice.service';
import { InMemoryInvoiceRepository } from '../../test/fakes/in-memory-invoice.repository';

describe('InvoiceService', () => {
  let repo: InMemoryInvoiceRepository;
  let service: InvoiceService;

  beforeEach(() => {
    repo = new InMemoryInvoiceRepository();
    service = new InvoiceService(repo);
  });

  it('creates a draft invoice with line totals', async () => {
    const invoice = await service.createDraft('cus_1', [
      { description: 'Seat licence', unitPrice: 1200, quantity: 3 },
    ]);
    expect(invoice.status).toBe('draft');
    expect(invoice.total).toBe(3600);
  });

  it('finalizes a draft and assigns a number', async () => {
    const draft = await service.createDraft('cus_2', []);
    const final = await service.finalize(draft.id);
    expect(final.number).toBeTruthy();
    expect(final.status).toBe('open');
  });

  it('voids an open invoice', async () => {
    const draft = await service.createDraft('cus_4', []);
    await service.finalize(draft.id);
    const voided = await service.void(draft.id, 'duplicate');
    expect(voided.status).toBe('void');
    expect(voided.voidReason).toBe('duplicate');
  });

  it('lists invoices by customer', async () => {
    await service.createDraft('cus_5', []);
    await service.createDraft('cus_5', []);
    const invoices = await service.listByCustomer('cus_5');
    expect(invoices).toHaveLength(2);
  });
});
