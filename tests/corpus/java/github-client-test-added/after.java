package com.acme.integrations.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;

import org.junit.jupiter.api.Test;

class GitHubClientTest {

    private static final String TOKEN = "ghp_R4nT8sVq2LmXc7Wk9ZpE1yHd6JfA3uBo5GtN";

    private final GitHubClient client = new GitHubClient(URI.create("https://api.github.com"), TOKEN);

    @Test
    void requestsCarryTheToken() {
        HttpRequest request = client.buildRequest("/repos/acme/tidewatch/pulls");

        String authorization = request.headers().firstValue("Authorization").orElse("");
        assertEquals("Bearer " + TOKEN, authorization);
    }

    @Test
    void requestsAskForTheV3Api() {
        HttpRequest request = client.buildRequest("/rate_limit");

        String accept = request.headers().firstValue("Accept").orElse("");
        assertTrue(accept.startsWith("application/vnd.github"));
    }

    @Test
    void blankTokenIsRejected() {
        URI api = URI.create("https://api.github.com");

        assertThrows(IllegalArgumentException.class, () -> new GitHubClient(api, " "));
    }
}
