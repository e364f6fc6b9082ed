package io.github.peft4j.tests.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.AdapterMismatchException;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.methods.Adapter;
import io.github.peft4j.core.methods.Adapters;
import io.github.peft4j.core.methods.sparse.SparseAdapter;
import io.github.peft4j.core.methods.sparse.SparseRandom;
import io.github.peft4j.core.models.Model;
import io.github.peft4j.core.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SHiRA exporter/importer on its own (no Python): PEFT's layout, r·(m+n) padding, validation. */
class ShiraFormatTest {
    static final Path FIXTURE = PeftInteropTest.FIXTURE;
    static final String V0 = "bert.encoder.layer.0.attention.self.value";

    @Test
    void exportWritesPeftLayoutPaddedToRTimesMPlusN(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("shira");
        try (Model model = Models.load(FIXTURE); SparseAdapter sparta = SparseRandom.of(0.1).withSeed(3).attach(model)) {
            PeftInteropTest.train(sparta);
            sparta.exportShira(dir);
            SparseAdapter.Support support = sparta.supports().get(V0 + ".weight");
            assertEquals(102, support.size());   // round(0.1 * 32 * 32)

            JsonNode config = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals("SHIRA", config.path("peft_type").asText());
            assertEquals(2, config.path("r").asInt());   // smallest r with r * (32 + 32) >= 102
            assertEquals("random", config.path("mask_type").asText());
            assertEquals(4, config.path("target_modules").size());
            assertEquals("classifier", config.path("modules_to_save").get(0).asText());

            Map<String, HostTensor> t = SafeTensors.read(dir.resolve("adapter_model.safetensors"));
            assertEquals(4 * 2 + 2, t.size());   // weight + indices per module, classifier weight + bias
            HostTensor w = t.get("base_model.model." + V0 + ".shira_weight");
            HostTensor idx = t.get("base_model.model." + V0 + ".shira_indices");
            assertArrayEquals(new long[] {128}, w.shape());
            assertArrayEquals(new long[] {2, 128}, idx.shape());
            float[] delta = support.delta().toFloatArray();
            long[] positions = support.indices().toLongArray();
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 128; i++) {
                long flat = idx.longs()[i] * 32 + idx.longs()[128 + i];
                assertTrue(seen.add(flat), "position " + flat + " listed twice");
                if (i < 102) {
                    assertEquals(positions[i], flat);
                    assertEquals(delta[i], w.floats()[i]);
                } else {
                    assertEquals(0f, w.floats()[i], "padding entries must not change the weight");
                }
            }
            float[] ours = PeftInteropTest.logits(model, sparta);
            try (Adapter back = Adapters.load(dir, model, true)) {
                // the padding stays part of the support: PEFT would train those entries too
                assertEquals(128 * 4 + 99, back.count().trainable());
                assertEquals(0.0, PeftInteropTest.maxAbsDiff(ours, PeftInteropTest.logits(model, back)), 1e-6);
            }
        }
    }

    @Test
    void importRejectsIndicesOutsideTheWeightAndUnknownModules(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("shira");
        try (Model model = Models.load(FIXTURE); SparseAdapter sparta = SparseRandom.of(0.05).attach(model)) {
            sparta.exportShira(dir);
            Map<String, HostTensor> good = SafeTensors.read(dir.resolve("adapter_model.safetensors"));

            Map<String, HostTensor> outside = new LinkedHashMap<>(good);
            HostTensor idx = good.get("base_model.model." + V0 + ".shira_indices");
            long[] moved = idx.longs().clone();
            moved[0] = 32;   // row 32 of a 32-row weight
            outside.put("base_model.model." + V0 + ".shira_indices", HostTensor.i64(idx.shape(), moved));
            SafeTensors.write(dir.resolve("adapter_model.safetensors"), outside, Map.of());
            FileFormatException e = assertThrows(FileFormatException.class, () -> Adapters.load(dir, model));
            assertTrue(e.getMessage().contains("outside the weight's shape"), e.getMessage());

            // PEFT on Windows stores indices as F32: whole numbers are read, fractions rejected
            Map<String, HostTensor> asFloats = new LinkedHashMap<>(good);
            float[] f = new float[idx.longs().length];
            for (int i = 0; i < f.length; i++) {
                f[i] = idx.longs()[i];
            }
            asFloats.put("base_model.model." + V0 + ".shira_indices", HostTensor.f32(idx.shape(), f));
            SafeTensors.write(dir.resolve("adapter_model.safetensors"), asFloats, Map.of());
            try (Adapter fromFloats = Adapters.load(dir, model)) {
                assertEquals(4 * 64 + 99, fromFloats.count().trainable());   // r=1: 51 entries padded to 64 per module
            }
            f[3] = 0.5f;
            asFloats.put("base_model.model." + V0 + ".shira_indices", HostTensor.f32(idx.shape(), f));
            SafeTensors.write(dir.resolve("adapter_model.safetensors"), asFloats, Map.of());
            assertThrows(FileFormatException.class, () -> Adapters.load(dir, model));

            Map<String, HostTensor> renamed = new LinkedHashMap<>();
            good.forEach((k, v) -> renamed.put(k.replace("layer.0.", "layer.7."), v));
            SafeTensors.write(dir.resolve("adapter_model.safetensors"), renamed, Map.of());
            AdapterMismatchException m = assertThrows(AdapterMismatchException.class, () -> Adapters.load(dir, model));
            assertTrue(m.getMessage().contains("layer.7"), m.getMessage());
        }
        assertTrue(Files.isDirectory(dir));
    }
}
