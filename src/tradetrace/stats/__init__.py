"""Official trade statistics: Eurostat Comext, IMF IMTS and UN Comtrade files, loaded into
one ``trade_flows`` table (see ``docs/stats.md``).

Firm-level records say who traded; these say where a country's trade went in aggregate,
which is what diversion through third countries and mirror gaps are measured on. Each
source has its reader (``comext``, ``imts``, ``comtrade``), recognised from the header;
``codes`` turns their reporter and partner labels into one set of codes, ``rates`` gives
the period-average ECB rate that puts every figure in US dollars, ``load`` writes a file's
rows all at once or not at all.
"""
