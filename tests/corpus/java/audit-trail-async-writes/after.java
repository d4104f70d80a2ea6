package com.acme.audit;

import java.util.List;
import java.util.concurrent.ExecutorService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit events to the append-only audit store, off the request thread.
 */
public class AuditTrail extends AbstractAuditSink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

    private final AuditWriter writer;
    private final ExecutorService executor;

    public AuditTrail(AuditWriter writer, ExecutorService executor) {
        this.writer = writer;
        this.executor = executor;
    }

    @Override
    public void record(AuditEvent event) {
        executor.submit(() -> writer.write(event));
    }

    /**
     * Records a batch in the background; used by the nightly import.
     */
    public void recordAll(List<AuditEvent> events) {
        executor.submit(() -> events.forEach(writer::write));
        log.debug("queued {} audit events", events.size());
    }

    public synchronized void flush() {
        writer.flush();
    }

    /**
     * Stops accepting events; queued writes still complete.
     */
    @Override
    public void close() {
        executor.shutdown();
        log.info("audit trail closed");
    }
}
