#!/usr/bin/env python3
"""Python side of peft4j's interop tests with Hugging Face transformers + PEFT.

Runs as a small request/response server so the Java tests pay torch's import cost once:
one JSON request per line on stdin, one JSON reply per line on stdout (logs go to stderr).
Every request names its files; tensors are exchanged as safetensors.

Requests ({"op": ...}):
  logits        model, inputs, out, [adapter], [merge], [num_labels]  -> logits of BertForSequenceClassification
                 (optionally wrapped by PeftModel.from_pretrained(adapter)) on the inputs file
  make_adapter  kind ("lora"|"shira"), model, out, r, seed, targets, inputs, logits
                 -> a PEFT adapter with non-zero trained-looking weights + its logits on inputs
  ping          -> {"ok": true, versions}
  quit
Replies: {"ok": true, ...} or {"ok": false, "error": "..."}.
"""
import json
import sys
import traceback


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def load_inputs(path):
    from safetensors.torch import load_file
    t = load_file(path)
    kwargs = {"input_ids": t["input_ids"].long(), "attention_mask": t["attention_mask"].long()}
    if "token_type_ids" in t:
        kwargs["token_type_ids"] = t["token_type_ids"].long()
    return kwargs


def load_base(model_dir, num_labels=None):
    from transformers import BertForSequenceClassification
    extra = {} if num_labels is None else {"num_labels": int(num_labels)}
    model = BertForSequenceClassification.from_pretrained(model_dir, **extra)
    model.eval()
    return model


def write_logits(model, inputs_file, out_file):
    import torch
    from safetensors.torch import save_file
    with torch.no_grad():
        logits = model(**load_inputs(inputs_file)).logits.float().contiguous()
    save_file({"logits": logits}, out_file)
    return list(logits.shape)


def op_logits(req):
    model = load_base(req["model"], req.get("num_labels"))
    peft_type = None
    if req.get("adapter"):
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, req["adapter"])
        model.eval()
        peft_type = str(model.peft_config["default"].peft_type.value)
        if req.get("merge"):
            model = model.merge_and_unload()
    shape = write_logits(model, req["inputs"], req["out"])
    return {"shape": shape, "peft_type": peft_type}


def op_make_adapter(req):
    import torch
    from peft import get_peft_model, LoraConfig, ShiraConfig
    torch.manual_seed(int(req.get("seed", 0)))
    model = load_base(req["model"])
    targets = req["targets"]
    kind = req["kind"]
    if kind == "lora":
        r = int(req.get("r", 4))
        config = LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=targets,
                            modules_to_save=["classifier"])
    elif kind == "shira":
        config = ShiraConfig(r=int(req.get("r", 2)), mask_type="random", random_seed=int(req.get("seed", 0)),
                             target_modules=targets, modules_to_save=["classifier"])
    else:
        raise ValueError("unknown adapter kind " + kind)
    peft_model = get_peft_model(model, config)
    # Fresh adapters equal the base model; give every trainable tensor a visible random change so
    # that a loader that drops or misplaces any of them produces different logits.
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * float(req.get("scale", 0.05)))
    peft_model.eval()
    peft_model.save_pretrained(req["out"])
    shape = write_logits(peft_model, req["inputs"], req["logits"])
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    return {"shape": shape, "trainable": trainable}


def op_ping(req):
    import torch, transformers, peft
    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


OPS = {"logits": op_logits, "make_adapter": op_make_adapter, "ping": op_ping}


def serve(replies):
    import os
    import torch
    torch.set_num_threads(int(os.environ.get("PEFT4J_PY_THREADS", "2")))
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req.get("op") == "quit":
                break
            handler = OPS.get(req.get("op"))
            if handler is None:
                raise ValueError("unknown op " + str(req.get("op")) + "; known: " + ", ".join(OPS))
            reply = {"ok": True}
            reply.update(handler(req))
        except Exception as e:  # reported to the Java side, which fails the test with it
            reply = {"ok": False, "error": "".join(traceback.format_exception(type(e), e, e.__traceback__))}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] != "serve":
        sys.stderr.write("usage: peft_interop.py [serve]\n")
        sys.exit(2)
    # stdout carries only replies; anything a library prints goes to stderr instead
    reply_stream = sys.stdout
    sys.stdout = sys.stderr
    serve(reply_stream)
