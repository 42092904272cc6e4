# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""Let the registry's CUDA-only torchvision 0.28.0 import under CPU torch (MONAI Label imports ``torchvision.utils``).

Installed into the MONAI Label environment's site-packages with a one-line ``_tv_cpu_shim.pth`` (build_env.sh).
torchvision's ``_C`` extension links ``libtorch_cuda`` and is skipped silently under CPU torch; its Python meta
registrations then fail with ``operator torchvision::nms does not exist`` (pytorch/vision#9085). Before torchvision
is first imported, this defines the ``nms``/``qnms`` operator schemas (only when torch has no CUDA), so the Python
parts import; the C++ ops themselves (nms, roi_align, torchvision.io) still raise "Couldn't load custom C++ ops".
"""

import importlib.abc
import sys


class _TorchvisionCpuShim(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "torchvision":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        try:
            import torch

            if torch.version.cuda is None:
                lib = torch.library.Library("torchvision", "DEF")
                lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
                lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
                sys.modules[__name__]._lib = lib
        except Exception:
            pass
        return None


sys.meta_path.insert(0, _TorchvisionCpuShim())
