package com.acme.billing.invoice;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.mail.MailException;
import org.springframework.stereotype.Component;

@Component
public class InvoiceMailer {

    private static final Logger log = LoggerFactory.getLogger(InvoiceMailer.class);
    private static final String SUBJECT_PREFIX = "Your invoice ";

    private final MailGateway mailer;
    private final TemplateRenderer templates;

    public InvoiceMailer(MailGateway mailer, TemplateRenderer templates) {
        this.mailer = mailer;
        this.templates = templates;
    }

    public void sendAll(List<Invoice> invoices) {
        invoices.forEach(this::send);
    }

    public void send(Invoice invoice) {
        String body = templates.render("invoice", invoice);
        mailer.send(invoice.customerEmail(), SUBJECT_PREFIX + invoice.number(), body);
        log.info("invoice {} sent", invoice.number());
    }

    public String preview(Invoice invoice) {
        try {
            return templates.render("invoice", invoice);
        } catch (TemplateException e) {
            log.error("cannot render invoice {}", invoice.number(), e);
            return "";
        }
    }
}
