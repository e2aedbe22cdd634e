"""Shared primitives, one definition each, below every other package.

- ``core.text``: width folding, Simplified -> Traditional, query normalisation;
- ``core.numerals``: Chinese numerals (``cn_to_int``, ``int_to_cn``) and the numeral patterns of labels;
- ``core.dates``: ISO/ROC date parsing and ROC formatting;
- ``core.money``: NT$ amounts (``parse_amount``, ``format_twd``, ``short_twd``);
- ``core.access``: document access levels and the levels each role may see;
- ``core.vocab``: controlled vocabularies (``Domain``, ``Unit``, ``Category``, ``TierCode``) and word lists;
- ``core.citation``: citation labels and the 項/款/目 numbering of an article's lines;
- ``core.refs``: article references in free text (採購法第22條第1項第9款, 檔案法§17).

``core`` imports nothing from the project's other packages (enforced by import-linter).
"""
