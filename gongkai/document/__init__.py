"""The document core: from extracted text to what a document is and every reason it may not go out.

Normalised text (textnorm), the official-document parser (elements), disclosure labels (labels), personal
data (pii), working days and deadline rules (workdays), the checks (checks) and the check pipeline that
runs them in order (check). Plain functions on text: no storage, no server, no model.
"""
