#!/usr/bin/env python3
"""Peer side of the peft4j training-step benchmark: Hugging Face transformers + PEFT on torch.

One process measures ONE configuration (run.sh runs them one after another, never two at once):
  peer.py run --model DIR --batch FILE --method shira|lora|full|head-only [--dropout 0.1] ...
Helpers used by run.sh:
  peer.py matmul-peak            fp32 2048x2048 matmul loop: the machine's physical limit
  peer.py make-batch --vocab V   fixed random token ids shared by both implementations
  peer.py make-bert --hidden H --layers L --out DIR   random BERT for the scaling rows
Results are appended as one JSON object per line to --out.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

# Attention value + attention output projections only (the FFN's output is also named "dense").
TARGETS = r".*attention\.(self\.value|output\.dense)$"


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def set_threads(n):
    import torch
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set by an earlier parallel op


def append_result(path, record):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def cmd_matmul_peak(args):
    import torch
    set_threads(args.threads)
    n = 2048
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    gflops = 2.0 * n ** 3 / min(times) / 1e9
    record = {"kind": "matmul_peak", "n": n, "threads": args.threads, "gflops": gflops,
              "median_gflops": 2.0 * n ** 3 / statistics.median(times) / 1e9,
              "torch": torch.__version__, "cpu": platform.processor() or platform.machine()}
    append_result(args.out, record)
    print(json.dumps(record))


def cmd_make_batch(args):
    import torch
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(args.seed)
    low = 1000 if args.vocab > 2000 else 1   # above BERT's special and unused ids when the vocab is real
    ids = torch.randint(low, args.vocab, (args.batch, args.seq), generator=g, dtype=torch.long)
    if args.vocab > 2000:
        ids[:, 0] = 101   # [CLS]
        ids[:, -1] = 102  # [SEP]
    save_file({"input_ids": ids,
               "attention_mask": torch.ones(args.batch, args.seq, dtype=torch.long),
               "token_type_ids": torch.zeros(args.batch, args.seq, dtype=torch.long),
               "labels": torch.randint(0, 2, (args.batch,), generator=g, dtype=torch.long)}, args.out)


def cmd_make_bert(args):
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    torch.manual_seed(args.seed)
    config = BertConfig(vocab_size=args.vocab, hidden_size=args.hidden, num_hidden_layers=args.layers,
                        num_attention_heads=args.hidden // 64, intermediate_size=4 * args.hidden,
                        max_position_embeddings=512, num_labels=2)
    BertForSequenceClassification(config).save_pretrained(args.out)


def load_model(model_dir, dropout):
    from transformers import BertForSequenceClassification
    model, info = BertForSequenceClassification.from_pretrained(
        model_dir, num_labels=2, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
        output_loading_info=True)
    # The head is what the checkpoint lacks: always the classifier, and the pooler when it is new
    # (peft4j trains the same modules densely).
    head = ["classifier"]
    if any(k.startswith("bert.pooler.") for k in info.get("missing_keys", [])):
        head.append("bert.pooler.dense")
    return model, head


def prepare(model, method, head, seed, lora_dropout):
    """Returns (module to call, trainable parameters) for one method."""
    if method == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    if method == "head-only":
        for name, p in model.named_parameters():
            p.requires_grad_(any(name.startswith(h + ".") for h in head))
        return model
    from peft import get_peft_model, LoraConfig, ShiraConfig
    if method == "lora":
        config = LoraConfig(r=8, lora_alpha=16, lora_dropout=lora_dropout, target_modules=TARGETS,
                            modules_to_save=head)
    elif method == "shira":
        config = ShiraConfig(r=8, mask_type="random", random_seed=seed, target_modules=TARGETS,
                             modules_to_save=head)
    else:
        raise SystemExit("unknown method " + method + "; use shira, lora, full or head-only")
    return get_peft_model(model, config)


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cmd_run(args):
    load_before = load_average()   # a busy machine makes the numbers meaningless: the report flags it
    import torch
    from safetensors.torch import load_file
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    base, head = load_model(args.model, args.dropout)
    model = prepare(base, args.method, head, args.seed, args.dropout)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    optimizer = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)
    batch = load_file(args.batch)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    labels = batch["labels"]

    step_ms = []
    losses = []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = model(**inputs, labels=labels).loss
        loss.backward()
        # peft4j's Trainer always computes the gradient norm (divergence check) and clips at 1.0
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        elapsed = (time.perf_counter() - t0) * 1000.0
        if step >= args.warmup:
            step_ms.append(elapsed)

    optimizer_bytes = sum(v.numel() * v.element_size()
                          for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v))
    cfg = base.config
    record = {"impl": "peft", "method": args.method, "dropout": args.dropout, "label": args.label,
              "model": args.model, "hidden": cfg.hidden_size, "layers": cfg.num_hidden_layers,
              "intermediate": cfg.intermediate_size, "heads": cfg.num_attention_heads,
              "batch": int(inputs["input_ids"].shape[0]), "seq": int(inputs["input_ids"].shape[1]),
              "lora_r": 8, "trainable_params": trainable, "optimizer_bytes": optimizer_bytes,
              "step_ms": step_ms, "losses": losses, "peak_rss_mb": peak_rss_mb(), "threads": args.threads,
              "load_before": load_before, "load_after": load_average(),
              "versions": {"torch": torch.__version__}}
    append_result(args.out, record)
    print(json.dumps({k: record[k] for k in ("impl", "method", "dropout", "trainable_params", "optimizer_bytes",
                                             "peak_rss_mb")} | {"median_ms": statistics.median(step_ms)}))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--model", required=True)
    p.add_argument("--batch", required=True)
    p.add_argument("--method", required=True, choices=["shira", "lora", "full", "head-only"])
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--label", default="main")
    p.add_argument("--out", required=True)
    p = sub.add_parser("matmul-peak")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--out", required=True)
    p = sub.add_parser("make-batch")
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--out", required=True)
    p = sub.add_parser("make-bert")
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    {"run": cmd_run, "matmul-peak": cmd_matmul_peak, "make-batch": cmd_make_batch, "make-bert": cmd_make_bert}[args.cmd](args)


if __name__ == "__main__":
    main(sys.argv[1:])
