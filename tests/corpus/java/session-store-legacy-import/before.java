package com.acme.web.session;

import java.io.IOException;
import java.time.Duration;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.springframework.stereotype.Repository;

@Repository
public class SessionStore {

    private static final Duration TTL = Duration.ofHours(12);

    private final RedisBytes redis;
    private final ObjectMapper mapper;

    public SessionStore(RedisBytes redis, ObjectMapper mapper) {
        this.redis = redis;
        this.mapper = mapper;
    }

    public Session load(String id) {
        byte[] bytes = redis.get(key(id));
        if (bytes == null) {
            return null;
        }
        try {
            return mapper.readValue(bytes, Session.class);
        } catch (IOException e) {
            throw new SessionStoreException("corrupt session " + id, e);
        }
    }

    public void save(String id, Session session) {
        try {
            redis.set(key(id), mapper.writeValueAsBytes(session), TTL);
        } catch (IOException e) {
            throw new SessionStoreException("cannot store session " + id, e);
        }
    }

    /**
     * Imports a session exported by the pre-2.0 servlet container.
     */
    public void importLegacy(String id, byte[] data) {
        if (data.length == 0) {
            throw new IllegalArgumentException("empty legacy session " + id);
        }
        throw new UnsupportedOperationException("legacy sessions are no longer supported");
    }

    private static String key(String id) {
        return "session:" + id;
    }
}
