# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
from __future__ import annotations

from .caching import CACHE_MODES, cache_rate_within, cached_dataset, default_num_workers
from .datalist import (
    SPLITS,
    TASKS,
    DatalistError,
    count_by_group_class,
    default_id,
    group_ids,
    load_fairness_datalist,
    num_groups,
    read_datalist,
    validate_datalist,
)
from .dicom import IDENTIFYING_KEYWORDS, age_from_dates, parse_dicom_age, read_dicom_attributes
from .group_sampling import (
    check_group_id,
    endless,
    group_balanced_sample_weights,
    group_counts,
    group_frequency_weights,
    group_loaders,
    select_group,
)
from .preflight import channel_stats, image_header, preflight_datalist
from .splits import held_out, split_in_two, stratified_split

__all__ = [
    "CACHE_MODES",
    "cache_rate_within",
    "cached_dataset",
    "default_num_workers",
    "SPLITS",
    "TASKS",
    "DatalistError",
    "count_by_group_class",
    "default_id",
    "group_ids",
    "load_fairness_datalist",
    "num_groups",
    "read_datalist",
    "validate_datalist",
    "image_header",
    "channel_stats",
    "preflight_datalist",
    "IDENTIFYING_KEYWORDS",
    "age_from_dates",
    "parse_dicom_age",
    "read_dicom_attributes",
    "split_in_two",
    "held_out",
    "stratified_split",
    "check_group_id",
    "endless",
    "group_balanced_sample_weights",
    "group_counts",
    "group_frequency_weights",
    "group_loaders",
    "select_group",
]
