package io.github.peft4j.tests.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.FileFormatException;
import io.github.peft4j.core.Peft4jException;
import io.github.peft4j.core.io.HostTensor;
import io.github.peft4j.core.io.SafeTensors;
import io.github.peft4j.core.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Bad model folders fail with a Peft4jException that names the file and the problem. */
class ModelLoadingErrorsTest {
    @TempDir
    Path tmp;

    private Path copyWithConfig(String fixture, Consumer<ObjectNode> edit) throws IOException {
        return Fixtures.copyWithConfig(fixture, tmp.resolve(fixture), edit);
    }

    @Test
    void configMissingARequiredFieldNamesFileAndField() throws IOException {
        Path folder = copyWithConfig("llama", c -> c.remove("hidden_size"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertEquals(folder.resolve("config.json"), e.file());
        assertTrue(e.getMessage().contains("'hidden_size'") && e.getMessage().contains("llama"), e.getMessage());
    }

    @Test
    void configWhoseShapesDoNotMatchTheWeightsNamesTensorAndBothShapes() throws IOException {
        Path folder = copyWithConfig("llama", c -> c.put("intermediate_size", 48));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertEquals(folder.resolve("model.safetensors"), e.file());
        String m = e.getMessage();
        assertTrue(m.contains("model.layers.0.mlp.gate_proj.weight") && m.contains("(64, 32)") && m.contains("(48, 32)"), m);
    }

    @Test
    void moreLayersInConfigThanInWeightsNamesTheMissingTensor() throws IOException {
        Path folder = copyWithConfig("gpt2", c -> c.put("n_layer", 3));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertTrue(e.getMessage().contains("transformer.h.2.") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws IOException {
        Path folder = copyWithConfig("bert_cls", c -> c.put("model_type", "t5"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertEquals(folder.resolve("config.json"), e.file());
        for (String supported : Models.SUPPORTED) {
            assertTrue(e.getMessage().contains(supported), e.getMessage());
        }
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void pickleOnlyFolderIsRefusedWithAConversionHint() throws IOException {
        Path folder = tmp.resolve("pickled");
        Files.createDirectories(folder);
        Files.copy(Fixtures.folder("gpt2").resolve("config.json"), folder.resolve("config.json"));
        Files.write(folder.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c', 'o', 's'});
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertEquals(folder, e.file());
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("safe_serialization=True"), e.getMessage());
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path folder = copyWithConfig("gpt2", c -> {});
        Files.delete(folder.resolve("model-00002-of-00004.safetensors"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertEquals(folder.resolve("model.safetensors.index.json"), e.file());
        assertTrue(e.getMessage().contains("model-00002-of-00004.safetensors"), e.getMessage());
    }

    @Test
    void brokenJsonAndMissingFolderAreReported() throws IOException {
        Path folder = copyWithConfig("bert_encoder", c -> {});
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"bert\", ");
        Peft4jException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        assertThrows(FileFormatException.class, () -> Models.load(tmp.resolve("nope")));
    }

    @Test
    void unusedBuffersAreSkippedAndIntegerWeightsRefused() throws IOException {
        Path folder = copyWithConfig("gpt_neox", c -> {});
        Path weights = folder.resolve("model.safetensors");
        java.util.Map<String, HostTensor> tensors = new java.util.LinkedHashMap<>(SafeTensors.read(weights));
        // what old Pythia checkpoints carry besides weights: causal-mask buffers and rotary caches
        tensors.put("gpt_neox.layers.0.attention.bias", HostTensor.i64(new long[] {1, 1, 4, 4}, new long[16]));
        tensors.put("gpt_neox.layers.0.attention.rotary_emb.inv_freq", HostTensor.f32(new long[] {2}, new float[] {1, 0.01f}));
        SafeTensors.write(weights, tensors, java.util.Map.of("format", "pt"));
        try (var model = Models.load(folder); var m = ai.djl.ndarray.NDManager.newBaseManager()) {
            assertFalse(model.parameters().contains("gpt_neox.layers.0.attention.bias"));
            var ref = Fixtures.reference("gpt_neox", m);
            var out = model.forward(Fixtures.batch(ref, "left"), m);
            assertTrue(Fixtures.maxDiff(out.logits(), ref.get("left.logits"), ref.get("left.attention_mask")) <= 1e-4);
        }
        tensors.put("embed_out.weight", HostTensor.i64(new long[] {128, 32}, new long[128 * 32]));
        SafeTensors.write(weights, tensors, java.util.Map.of("format", "pt"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertTrue(e.getMessage().contains("embed_out.weight") && e.getMessage().contains("floating point"), e.getMessage());
    }

    @Test
    void unsupportedRopeTypeIsNamed() throws IOException {
        Path folder = copyWithConfig("llama", c -> ((ObjectNode) c.get("rope_parameters")).put("rope_type", "yarn"));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Models.load(folder));
        assertTrue(e.getMessage().contains("'yarn'") && e.getMessage().contains("llama3"), e.getMessage());
    }
}
