# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""The data-pipeline benchmark runs (small) and measures what it says: uint8 caching holds less than float32."""

from __future__ import annotations

import pytest

from benchmarks import data_pipeline


@pytest.mark.slow
def test_data_pipeline_benchmark_small_run_reports_every_measurement() -> None:
    result = data_pipeline.run(
        images=16,
        large_datalist=300,
        volumes=4,
        workers=(0, 1),
        budget_gb=0.01,
        epochs=1,
        image_sizes=((120, 90), (160, 120)),
        volume_shape=(64, 64, 48),
    )
    for fmt in ("jpg", "png"):
        row = result[f"skin_{fmt}"]
        before, now = row["before_float32_cache_main_process"], row["now_uint8_cache_workers_0"]
        assert before["batch_shape"][1:] == now["batch_shape"][1:] == [3, 224, 224]
        assert before["cache_rate"] == 1.0 and row["now_uint8_cache_workers_1"]["samples_per_s"] > 0
    big = result["datalist_25k"]
    # 300 images of 150 kB are 45 MB: a 10 MB budget caches about a fifth of them
    assert big["now"]["cache_rate"] == pytest.approx(0.01e9 / (300 * 3 * 224 * 224), rel=1e-3)
    assert big["now_cache_gb"] <= 0.01 + 1e-9
    ct = result["ct_96"]
    assert ct["now_disk_cache_workers_0"]["batch_shape"] == [4, 1, 96, 96, 96]
    assert ct["ratio_best_now_over_before_patches_per_s"] > 0
