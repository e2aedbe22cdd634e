"""SQLAlchemy 2.x models of the structured records store.

Portable column types only (String, Text, Integer, BigInteger, Boolean, Date, DateTime, JSON) so the
same models work on the embedded SQLite file and on PostgreSQL. Table names carry the ``rec_`` prefix
because the records database may be shared with other stores (e.g. the audit log).

Every table has a natural key used by the importers' duplicate/upsert policy (see ``importers.TABLES``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class TenderCause(Base):
    """Cause taxonomy for failed/cancelled tenders (流標/廢標 原因)."""

    __tablename__ = "rec_tender_causes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column("cause_group", String(50))
    legal_basis: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class Vendor(Base):
    __tablename__ = "rec_vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tax_id: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)

    suspensions: Mapped[list[VendorSuspension]] = relationship(back_populates="vendor",
                                                                order_by="VendorSuspension.start_on")


class VendorSuspension(Base):
    """刊登政府採購公報 (停權) period under 政府採購法第101條第1項第N款 / 第103條."""

    __tablename__ = "rec_vendor_suspensions"
    __table_args__ = (UniqueConstraint("vendor_id", "start_on", "ground_item", name="uq_rec_susp_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("rec_vendors.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    ground_item: Mapped[int] = mapped_column(Integer)  # 款 number of 政府採購法第101條第1項 (1..15)
    case_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    vendor: Mapped[Vendor] = relationship(back_populates="suspensions")


class ProcurementCase(Base):
    __tablename__ = "rec_procurement_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(50), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    agency: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(100), index=True)
    category: Mapped[str] = mapped_column(String(10), index=True)  # 工程/財物/勞務
    budget: Mapped[int | None] = mapped_column(BigInteger, default=None)
    amount: Mapped[int] = mapped_column(BigInteger)  # 採購金額
    method: Mapped[str] = mapped_column(String(30))
    award_basis: Mapped[str | None] = mapped_column(String(30), default=None)
    status: Mapped[str] = mapped_column(String(10), index=True)
    announced_on: Mapped[date | None] = mapped_column(Date, default=None)
    opened_on: Mapped[date | None] = mapped_column(Date, default=None)
    awarded_on: Mapped[date | None] = mapped_column(Date, default=None)
    award_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("rec_vendors.id"), default=None)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)

    vendor: Mapped[Vendor | None] = relationship()
    events: Mapped[list[TenderEvent]] = relationship(back_populates="case", order_by="TenderEvent.event_on")


class TenderEvent(Base):
    __tablename__ = "rec_tender_events"
    __table_args__ = (UniqueConstraint("case_id", "event_on", "kind", name="uq_rec_event_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("rec_procurement_cases.id"), index=True)
    event_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    cause_code: Mapped[str | None] = mapped_column(ForeignKey("rec_tender_causes.code"), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    case: Mapped[ProcurementCase] = relationship(back_populates="events")
    cause: Mapped[TenderCause | None] = relationship()


class Consultation(Base):
    """Procurement hotline consultation (採購諮詢專線紀錄). ``occurred_at`` is naive local time (Asia/Taipei)."""

    __tablename__ = "rec_consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    caller_agency: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(10), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_note: Mapped[str | None] = mapped_column(Text, default=None)
    handled_by: Mapped[str] = mapped_column(String(100))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class SeedTeacher(Base):
    """採購種子教師 roster by Taichung district."""

    __tablename__ = "rec_seed_teachers"
    __table_args__ = (UniqueConstraint("name", "district", name="uq_rec_teacher_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    agency: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(10), index=True)
    expertise: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(String(200))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class AedDevice(Base):
    __tablename__ = "rec_aed_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    location: Mapped[str] = mapped_column(String(200))
    floor: Mapped[str] = mapped_column(String(20))
    pads_expiry: Mapped[date] = mapped_column(Date)
    battery_expiry: Mapped[date] = mapped_column(Date)
    last_check_on: Mapped[date | None] = mapped_column(Date, default=None)
    last_check_result: Mapped[str | None] = mapped_column(String(200), default=None)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class FireDrill(Base):
    """滅火、通報及避難訓練 (消防法施行細則第5條第5款)."""

    __tablename__ = "rec_fire_drills"
    __table_args__ = (UniqueConstraint("held_on", "scenario", name="uq_rec_drill_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    scenario: Mapped[str] = mapped_column(String(200))
    participants: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    findings: Mapped[str | None] = mapped_column(Text, default=None)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class EquipmentInspection(Base):
    """Equipment inspections and statutory filings (檢修申報、公安申報 ...)."""

    __tablename__ = "rec_equipment_inspections"
    __table_args__ = (UniqueConstraint("kind", "inspected_on", name="uq_rec_inspection_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(200))
    next_due_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class RetentionEntry(Base):
    """Archive retention schedule entry (檔案保存年限區分表)."""

    __tablename__ = "rec_retention_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_code: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(300))
    retention_years: Mapped[int | None] = mapped_column(Integer, default=None)  # None when permanent
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str | None] = mapped_column(String(300), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
