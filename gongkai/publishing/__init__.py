"""Publishing: the layout the web team pulls from the public bucket, kept stable for years.

Public bucket (anonymous read, no listing):

    items/<索引号 slug>/original.<ext>   the approved file as submitted
    items/<索引号 slug>/content.txt      its text, personal data masked
    items/<索引号 slug>/content.html     the same as clean HTML5 (lang zh-CN, no scripts)
    items/<索引号 slug>/metadata.json    条例 第十二条 fields, status, relations, every file's sha256
    catalogue/topics/<topic key>.json    the current items of one topic
    catalogue/feed.atom                  publications and status changes, newest first
    catalogue/index.json                 every current item, plus the sha256 of every public object

The slug of 索引号 006939756/2026-00012 is 006939756-2026-00012. An item's files are written before
its metadata.json, and the catalogue is rebuilt from the metadata objects after that, so a reader
never finds a catalogue entry whose files are missing. The catalogue is rebuilt (not edited) and the
rebuild repeats until the metadata it read is still the metadata in the bucket after it wrote:
concurrent publishes lose no entry. index.json is written last and lists every public object with
its sha256 and size, which is what `pull` mirrors from (listing is not allowed anonymously).

Private bucket: index-numbers/<year>/<seq>.json (one object per number ever given, created only if
absent, so a number is never given twice), index-numbers/by-sha256/<sha256>.json (the number of a
file version: publishing it again reuses it), withdrawn/<slug>/<time>/… (a withdrawn item's files
and metadata, and withdrawal.json with the reason).

Object metadata stays ASCII; everything readable is in the UTF-8 objects themselves.
"""
