"""Certificates (donation, erasure, recycling, receipt): one spec per kind, walked by one renderer.

model: the plain data, its checks and fingerprint · layout: styles, page furniture and generic
blocks · text: paragraphs of markup, wrapped and drawn without platypus's Paragraph · table: the
device table, measured once and split at any row · spec: the shape of a kind's description ·
cells: the device table's cells · kinds: the four specs · render: the PDF, by one walk over the
spec.
"""
