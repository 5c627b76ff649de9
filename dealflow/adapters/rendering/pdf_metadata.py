"""A contract PDF's document metadata — its Info dictionary and its XMP packet — kept in
agreement when a seal is added.

WeasyPrint writes both with the same values (title, author, subject, keywords, creator,
producer, creation and modification dates), as PDF/A requires. pyHanko's incremental writer,
when it adds a seal, stamps a modification date into each of them from two separate readings
of the clock (a second apart now and then) and names itself differently in each: the Info
dictionary's producer becomes ``WeasyPrint …; pyHanko …`` while the XMP's becomes ``pyHanko …``
alone. :func:`sealing_writer` is pyHanko's writer with that one step replaced: one reading of
the clock, in UTC to the second, and one producer, written to both. pyHanko is imported only
when a contract is sealed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any


def joined_producer(producer: str, vendor: str) -> str:
    """The producer after ``vendor`` wrote to a PDF ``producer`` made: both, once each."""
    if not producer:
        return vendor
    return producer if vendor in producer else f"{producer}; {vendor}"


def sealing_writer(pdf: bytes) -> Any:
    """pyHanko's incremental writer over ``pdf``, which, when the seal is written, gives the
    Info dictionary and the XMP packet the same modification date and producer. A PDF without
    both (or encrypted) is updated by pyHanko's own rules."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata import model, xmp_xml

    class AgreeingWriter(IncrementalPdfFileWriter):
        # pyHanko prepares the document for writing more than once while it seals: the time
        # is read once, and the new packet is added once.
        sealed_at: datetime | None = None
        packet: Any = None

        def _update_meta(self) -> None:
            info_ref = self._info
            root = self.root
            # Indexing (not .get) is what makes pyHanko read the packet as XMP.
            stream = root["/Metadata"] if "/Metadata" in root else None  # noqa: SIM401
            if (
                info_ref is None
                or self.security_handler is not None
                or not isinstance(stream, xmp_xml.MetadataStream)
            ):
                super()._update_meta()  # type: ignore[no-untyped-call]
                return
            if self.sealed_at is None:
                self.sealed_at = datetime.now(UTC).replace(microsecond=0)
            when = self.sealed_at
            info = info_ref.get_object()  # type: ignore[no-untyped-call]
            producer = joined_producer(str(info.get("/Producer", "")), model.VENDOR)
            info["/Producer"] = generic.TextStringObject(producer)
            info["/ModDate"] = generic.pdf_date(when)
            self.mark_update(info_ref)
            if self.packet is not None and root.raw_get("/Metadata").idnum == self.packet.idnum:
                return  # the packet added before already says so
            fields = {name: value for structure in stream.xmp for name, value in structure}
            fields[model.PDF_PRODUCER] = model.XmpValue(producer)
            fields[model.XMP_MODDATE] = model.XmpValue(when.isoformat())
            packet = xmp_xml.MetadataStream.from_xmp([model.XmpStructure(fields)])
            self.packet = self.add_object(packet)
            root["/Metadata"] = self.packet
            self.update_root()  # type: ignore[no-untyped-call]

    return AgreeingWriter(io.BytesIO(pdf))
