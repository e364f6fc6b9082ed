package io.github.peft4j.tests.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's arithmetic: FLOP formulas and the report built from raw records. */
class BenchReportTest {

    private static final FlopCount.Shape MINILM = new FlopCount.Shape(16, 128, 384, 1536, 6, 2);

    @Test
    void forwardFlopsOfMiniLmBatchAreCountedPerMatmul() {
        // per layer: 8NH^2 = 2,415,919,104; 4NHI = 4,831,838,208; 4BT^2H = 402,653,184; x6 layers
        // head: pooler 2BH^2 = 4,718,592 + classifier 2BHC = 24,576
        assertEquals(45_907_206_144.0, FlopCount.forward(MINILM), 0.5);
        assertEquals(3 * 45_907_206_144.0, FlopCount.step("full", MINILM, 8), 0.5);
    }

    @Test
    void adapterMethodsCostBetweenForwardAndFullStep() {
        double fwd = FlopCount.forward(MINILM);
        double sparse = FlopCount.step("sparse-random", MINILM, 8);
        double lora = FlopCount.step("lora", MINILM, 8);
        double head = FlopCount.step("head-only", MINILM, 8);
        assertEquals(sparse, FlopCount.step("shira", MINILM, 8));
        // sparse = F + input grads (F minus layer-0 Q/K/V inputs, Q/K/A grads) + dense dWv, dWo
        double n = 16 * 128;
        double attentionMatmul = 2.0 * 16 * 128 * 128 * 384;   // one of Q.K^T, A.V
        // layer 0 skips the Q/K/V input grads and the grads of Q, K and A (only dV reaches Wv)
        double layerZeroSkipped = 6 * n * 384 * 384 + 3 * attentionMatmul;
        // each layer: input grads = its forward linears + both operand grads of the 2 attention matmuls
        double inputGrads = (fwd - 4_743_168) + 6 * 2 * attentionMatmul - layerZeroSkipped;
        double expected = fwd + inputGrads + 6 * 4 * n * 384 * 384 + 2 * 4_743_168;
        assertEquals(expected, sparse, 1.0);
        assertTrue(lora < sparse && lora > fwd * 1.9, "lora " + lora + " vs sparse " + sparse);
        assertEquals(fwd + 2 * 4_743_168, head, 0.5);
        assertThrows(IllegalArgumentException.class, () -> FlopCount.step("prefix", MINILM, 8));
    }

    @Test
    void reportSummarisesRecordsPairsImplementationsAndChecksTargets(@TempDir Path dir) throws Exception {
        String shape = "\"batch\":16,\"seq\":128,\"hidden\":384,\"intermediate\":1536,\"layers\":6,\"lora_r\":8";
        String lines = String.join("\n",
                "{\"kind\":\"matmul_peak\",\"gflops\":130.0,\"torch\":\"2.13.0+cpu\"}",
                "{\"impl\":\"peft4j\",\"method\":\"sparse-random\",\"dropout\":0.0,\"trainable_params\":74498,"
                        + "\"optimizer_bytes\":595984,\"peak_rss_mb\":900,\"load_before\":90.0," + shape + ",\"step_ms\":[900,800,1000,850]}",
                "{\"impl\":\"peft\",\"method\":\"shira\",\"dropout\":0.0,\"trainable_params\":74498,"
                        + "\"optimizer_bytes\":600000,\"peak_rss_mb\":1000," + shape + ",\"step_ms\":[1000,1000,1000]}",
                "{\"impl\":\"peft4j\",\"method\":\"full\",\"dropout\":0.0,\"trainable_params\":22700000,"
                        + "\"optimizer_bytes\":181600000,\"peak_rss_mb\":1500," + shape + ",\"step_ms\":[1200]}",
                "{\"impl\":\"peft4j\",\"method\":\"full\",\"label\":\"scaling\",\"dropout\":0.0,\"trainable_params\":1,"
                        + "\"optimizer_bytes\":8,\"peak_rss_mb\":10," + shape + ",\"step_ms\":[5]}");
        Path results = dir.resolve("results.jsonl");
        Files.writeString(results, lines + "\n");
        BenchReport.write(results, dir);

        JsonNode report = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals(130.0, report.path("matmul_peak_gflops").asDouble());
        assertEquals(3, report.path("runs").size());
        JsonNode sparse = report.path("runs").get(0);
        assertEquals("sparse-random", sparse.path("method").asText());
        assertEquals(875.0, sparse.path("step_ms_median").asDouble());   // median of 800, 850, 900, 1000
        assertEquals(800.0, sparse.path("step_ms_min").asDouble());
        assertEquals(1000.0, sparse.path("step_ms_max").asDouble());
        double expectedGflops = FlopCount.step("sparse-random", MINILM, 8) / 0.875 / 1e9;
        assertEquals(Math.round(expectedGflops * 100) / 100.0, sparse.path("gflops").asDouble(), 1e-9);
        assertEquals(1, report.path("scaling").size());
        assertEquals(0.875, report.path("ratios").get(0).path("step_time_ratio").asDouble(), 1e-9);
        // targets: 0.875 <= 1.0 met; 875/1200 = 0.729 <= 0.8 met; full vs peft full not measured
        assertEquals("yes", report.path("targets").get(0).path("met").asText());
        assertEquals("yes", report.path("targets").get(1).path("met").asText());
        assertEquals("not measured", report.path("targets").get(2).path("met").asText());
        assertEquals("yes", report.path("targets").get(3).path("met").asText());
        assertEquals("yes", report.path("targets").get(4).path("met").asText());   // 0.33% of full's
        assertTrue(Files.size(dir.resolve("step-times.png")) > 1000);
        assertTrue(Files.size(dir.resolve("scaling.png")) > 1000);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| peft4j | sparse-random | 0.00 | 74,498 |"), md);
        assertTrue(md.contains("Warning: 1 of 4 runs saw a 1-minute load average above"), md);   // the busy sparse row
        assertEquals(90.0, sparse.path("load_average").asDouble());
    }
}
