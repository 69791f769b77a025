"""SYNTHETIC Russian-format customs declarations with a known answer (the AURUS scenario).

``generate_sample(out_dir, rows, seed)`` writes the files and returns their manifest; see
``generator.py`` for what is written and ``aurus.py`` for the scenario.
"""

from tradetrace.sample.generator import SampleFile, SampleManifest, generate_sample

__all__ = ["SampleFile", "SampleManifest", "generate_sample"]
