package com.acme.notify;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

@Component
public class NotificationDispatcher {

    private static final Logger log = LoggerFactory.getLogger(NotificationDispatcher.class);

    private final ChannelClient client;
    private final Queue<Notification> retryQueue = new ConcurrentLinkedQueue<>();

    public NotificationDispatcher(ChannelClient client) {
        this.client = client;
    }

    public void dispatchAll(List<Notification> batch) {
        for (Notification notification : batch) {
            deliver(notification);
        }
    }

    public int retryPending() {
        int retried = 0;
        Notification next = retryQueue.poll();
        while (next != null) {
            deliver(next);
            retried++;
            next = retryQueue.poll();
        }
        return retried;
    }

    private void deliver(Notification notification) {
        try {
            client.post(notification.channel(), notification.payload());
        } catch (RateLimitedException e) {
            retryQueue.offer(notification);
        } catch (DeliveryException e) {
            log.warn("delivery of notification {} failed", notification.id(), e);
        }
    }
}
