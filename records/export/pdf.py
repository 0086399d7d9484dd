"""One visit as a PDF (门诊病历), with the Chinese font embedded (a subset of it).

fpdf2 writes the file; the font is found by records.export.fonts. The labels follow the
active language (Chinese for patients); the clinical text is printed as written.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from records.export.document import Report, VisitDocument
from records.export.fonts import pdf_font

FONT = "cjk"
BODY_SIZE = 10.5
LINE = 6.0


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


class _Pdf(FPDF):
    def __init__(self, doc: VisitDocument) -> None:
        super().__init__(format="A4")
        self.doc = doc
        font = pdf_font()
        self.add_font(FONT, fname=font.path, collection_font_number=font.index)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_("Visit record") + f" {doc.record_id}")
        self.set_creator(doc.hospital)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(
            0,
            5,
            f"{self.doc.hospital} · {_('Visit record')} {self.doc.record_id}"
            f" v{self.doc.version} · {self.page_no()}/{{nb}}",
            align="C",
        )

    def line_text(self, text: str, *, size: float = BODY_SIZE) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, title: str, text: str) -> None:
        if not text:
            return
        self.ln(1.5)
        self.line_text(f"【{title}】", size=BODY_SIZE + 0.5)
        self.line_text(text)

    def grid(self, headings: list[str], rows: list[list[str]]) -> None:
        """A bordered table: one heading row, then the rows (fpdf2's table, plain headings)."""
        self.set_font(FONT, size=BODY_SIZE - 1)
        with self.table(
            line_height=LINE,
            text_align="LEFT",
            headings_style=FontFace(emphasis="", fill_color=(235, 235, 235)),
        ) as table:
            table.row(headings)
            for values in rows:
                table.row(values)


def _reports(pdf: _Pdf, reports: tuple[Report, ...]) -> None:
    for report in reports:
        pdf.ln(2)
        pdf.line_text(
            f"【{report.title}】 {_when(report.issued_at)}", size=BODY_SIZE + 0.5
        )
        if report.results:
            pdf.grid(
                [_("Item"), _("Result"), _("Unit"), _("Reference range"), _("Flag")],
                [
                    [r.item, r.value, r.unit, r.reference_range, r.flag]
                    for r in report.results
                ],
            )
        if report.conclusion:
            pdf.line_text(_("Conclusion") + ": " + report.conclusion)


def visit_pdf(doc: VisitDocument) -> bytes:
    """The visit as PDF bytes. Raises PdfFontMissing (503) when no Chinese font is found."""
    pdf = _Pdf(doc)
    pdf.add_page()
    pdf.line_text(doc.hospital, size=16)
    pdf.line_text(_("Outpatient visit record"), size=13)
    pdf.ln(2)
    patient = doc.patient
    pdf.line_text(
        "  ".join(
            part
            for part in (
                _("Patient") + ": " + patient.name,
                {"male": _("male"), "female": _("female")}.get(patient.gender, ""),
                (_("Born") + ": " + _day(patient.birth_date))
                if patient.birth_date
                else "",
            )
            if part
        )
    )
    pdf.line_text(
        f"{_('Department')}: {doc.department}  {_('Doctor')}: {doc.doctor}  "
        f"{_('Visit')}: {_when(doc.visit_started_at)}"
    )
    pdf.section(_("Chief complaint"), doc.chief_complaint)
    pdf.section(_("Present illness"), doc.present_illness)
    pdf.section(_("History"), doc.history)
    pdf.section(_("Examination"), doc.examination)
    if doc.diagnoses:
        pdf.section(
            _("Diagnoses"),
            "\n".join(
                f"{n}. {d.text}" + (f" ({d.code})" if d.code else "")
                for n, d in enumerate(doc.diagnoses, start=1)
            ),
        )
    if doc.prescriptions:
        pdf.ln(1.5)
        pdf.line_text(f"【{_('Prescriptions')}】", size=BODY_SIZE + 0.5)
        pdf.grid(
            [
                _("Drug"),
                _("Dose"),
                _("Route"),
                _("Frequency"),
                _("Days"),
                _("Quantity"),
            ],
            [
                [p.drug, p.dose, p.route, p.frequency, str(p.days), p.quantity]
                for p in doc.prescriptions
            ],
        )
    pdf.section(_("Orders"), doc.orders)
    pdf.section(_("Advice"), doc.advice)
    if doc.follow_up_on:
        pdf.section(_("Follow-up"), _day(doc.follow_up_on))
    _reports(pdf, doc.reports)
    pdf.ln(4)
    if doc.signed_by:
        pdf.line_text(f"{_('Signed by')}: {doc.signed_by}  {_when(doc.signed_at)}")
    return bytes(pdf.output())
