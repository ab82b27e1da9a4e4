"""What the tools and report hooks write from predictions and results files.

- :mod:`.classification_report`, :mod:`.particle_report`: the test report folders;
- :mod:`.shape_report`: particle size and shape tables and histograms;
- :mod:`.cross_validation`: per-fold numbers, mean ± std, pooled report;
- :mod:`.score_results`: a COCO results json scored against its ground truth
  (IoU-weighted F1 and COCO mAP), with :mod:`mmext.structures.coco_io` reading both jsons;
- :mod:`.ablation_table`: final metrics of several work dirs as one table.

Numbers come from :mod:`mmext.evaluation.functional`; nothing here is registered.
"""
