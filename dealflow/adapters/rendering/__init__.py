"""The contract renderer: Jinja2 templates (:mod:`.templates`), formats for each language
(:mod:`.formats`), the locked URL fetcher (:mod:`.fetcher`) and the PDF/A-3b writer
(:mod:`.pdf`). Imported only when a contract is rendered or templates are checked."""
