"""PyTorch side of bench/loaders.ts and bench/gpu-check.sh. Prints one JSON line.

  python3 bench/torch_loader.py raw    DATASET_ROOT [--epochs 1]     read every shard file (readinto, 8 MiB, reused buffer)
  python3 bench/torch_loader.py loader DATASET_ROOT [--workers 0] [--epochs 3]   ShardDataset epochs; each batch copied
        into one reused tensor (what pin_memory / the H2D staging copy does); seconds = median of epochs 2.. (steady state)
  python3 bench/torch_loader.py train  DATASET_ROOT [--steps 20]     ResNet-18 (torchvision, 1 channel) or a small CNN on CUDA
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
for cand in (os.path.join(HERE, "..", "python"), os.path.join(HERE, "python")):
    if os.path.isdir(os.path.join(cand, "medimg_shards")):
        sys.path.insert(0, cand)
        break

import torch  # noqa: E402

from medimg_shards import ShardDataset, resolve_version_dir  # noqa: E402


def raw(root, epochs):
    d = resolve_version_dir(root)
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".arrow"))
    buf = bytearray(8 << 20)
    mv = memoryview(buf)
    t0, total = time.perf_counter(), 0
    for _ in range(epochs):
        for f in files:
            with open(f, "rb", buffering=0) as fh:
                while True:
                    n = fh.readinto(mv)
                    if not n:
                        break
                    total += n
    return {"seconds": time.perf_counter() - t0, "bytes": total}


def loader(root, workers, epochs, split):
    """Epoch 1 includes mapping the shard files; later epochs are the steady state of a training run."""
    ds = ShardDataset(root, split, seed=3)
    staging = None
    per_epoch = []
    for epoch in range(epochs):
        ds.set_epoch(epoch)
        t0, images, nbytes = time.perf_counter(), 0, 0
        for x, y in ds.loader(num_workers=workers):
            if staging is None:
                staging = torch.empty((ds.shards.manifest["batchSize"],) + tuple(x.shape[1:]), dtype=torch.uint8)
            staging[: x.shape[0]].copy_(x)
            images += x.shape[0]
            nbytes += x.numel()
        per_epoch.append(time.perf_counter() - t0)
    steady = per_epoch[1:] or per_epoch
    return {"seconds": sorted(steady)[len(steady) // 2], "firstEpochSeconds": per_epoch[0], "images": images, "bytes": nbytes, "workers": workers, "epochs": epochs}


def small_cnn(classes):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 7, 2, 3, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes))


def train(root, steps, workers, split):
    if not torch.cuda.is_available():
        return {"skipped": "torch.cuda.is_available() is False (no CUDA device or driver visible to torch %s)" % torch.__version__}
    ds = ShardDataset(root, split, seed=3)
    classes = len(ds.shards.class_names)
    try:
        import torchvision
        model = torchvision.models.resnet18(num_classes=classes)
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        name = "torchvision %s resnet18 (1 channel)" % torchvision.__version__
    except ImportError:
        model, name = small_cnn(classes), "small CNN (torchvision not installed)"
    dev = torch.device("cuda")
    model = model.to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.005)
    loss_fn = torch.nn.CrossEntropyLoss()
    done, images, t0, losses = 0, 0, None, []
    epoch = 0
    while done < steps:
        ds.set_epoch(epoch)
        for x, y in ds.loader(num_workers=workers, pin_memory=True):
            x = x.to(dev, non_blocking=True).float().div_(255).contiguous(memory_format=torch.channels_last)
            loss = loss_fn(model(x), y.to(dev, non_blocking=True).long())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
            if done == 2:  # warm-up steps (cuDNN autotune, allocator) excluded
                torch.cuda.synchronize()
                t0, images = time.perf_counter(), 0
            elif done > 2:
                images += x.shape[0]
            losses.append(float(loss.item()) if done % 5 == 0 or done == steps else None)
            if done >= steps:
                break
        epoch += 1
    torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    return {"model": name, "device": torch.cuda.get_device_name(0), "steps": steps, "imagesPerSecond": images / secs if secs > 0 else None,
            "batch": int(ds.shards.manifest["batchSize"]), "lastLoss": [v for v in losses if v is not None][-1]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["raw", "loader", "train"])
    p.add_argument("root")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--split", default="train")
    a = p.parse_args()
    # The loader's copy is one memcpy per batch: one thread (several contend on a loaded machine).
    torch.set_num_threads(1 if a.mode != "train" else max(1, min(4, os.cpu_count() or 1)))
    if a.mode == "raw":
        r = raw(a.root, a.epochs or 1)
    elif a.mode == "loader":
        r = loader(a.root, a.workers, a.epochs or 3, a.split)
    else:
        r = train(a.root, a.steps, a.workers, a.split)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
