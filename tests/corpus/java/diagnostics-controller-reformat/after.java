package com.acme.ops.diagnostics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/internal/diagnostics")
public class DiagnosticsController {

    private static final long TIMEOUT_SECONDS = 5;

    private final DiagnosticsProperties properties;

    public DiagnosticsController(DiagnosticsProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/disk")
    public ResponseEntity<String> disk() throws IOException, InterruptedException {
        if (!properties.isShellEnabled()) {
            return ResponseEntity.notFound().build();
        }
        Process process = Runtime.getRuntime()
                .exec(new String[] {"df", "-h", properties.getDataDirectory()});
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return ResponseEntity.status(504).body("df timed out");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return process.exitValue() == 0
                ? ResponseEntity.ok(output)
                : ResponseEntity.internalServerError().body(output);
    }

    @GetMapping("/threads")
    public ResponseEntity<Integer> threads() {
        return ResponseEntity.ok(Thread.activeCount());
    }
}
