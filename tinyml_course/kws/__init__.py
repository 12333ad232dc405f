"""Keyword spotting end to end, the lecture's audio wake words: spoken digits (FSDD) -> MFCCs in
numpy (``mfcc``) -> a DS-CNN in the manner of MLPerf Tiny's KWS reference (``model``), trained by
speaker-disjoint split (``data``, ``augment``, ``train``) -> int8 -> the emulated MCU (``deploy``
layer, ``tinyml-course deploy kws``)."""
