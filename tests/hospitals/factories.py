"""Factories for the hospital catalog: hospitals, two-level departments and doctors.

DoctorFactory keeps a doctor's hospital and department consistent whichever one a test
passes: DoctorFactory(hospital=h) builds a department in h, DoctorFactory(department=d)
takes d's hospital.
"""

import factory

from hospitals.models import ConsultingRoom, Department, Doctor, Hospital


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"第{n}人民医院")
    level = Hospital.Level.GRADE_3A
    region = "北京市朝阳区"
    address = factory.Sequence(lambda n: f"北京市朝阳区长安街{n}号")
    phone = "010-12345678"
    is_open = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    """A top-level department (大科室); pass parent= for a clinic (科室) under it."""

    class Meta:
        model = Department

    hospital = factory.LazyAttribute(
        lambda o: o.parent.hospital if o.parent is not None else HospitalFactory()
    )
    parent = None
    name = factory.Sequence(lambda n: f"科室{n}")
    sort_order = 0
    is_active = True


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    hospital = factory.SubFactory(HospitalFactory)
    department = factory.SubFactory(
        DepartmentFactory, hospital=factory.SelfAttribute("..hospital")
    )
    name = factory.Sequence(lambda n: f"医生{n}")
    title = Doctor.Title.ATTENDING
    specialty = "常见病、多发病"
    fee = 2000
    is_active = True

    @classmethod
    def _generate(cls, strategy, params):
        # DoctorFactory(department=d): the doctor works in d's hospital.
        if params.get("department") is not None and "hospital" not in params:
            params = {**params, "hospital": params["department"].hospital}
        return super()._generate(strategy, params)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        hospital, department = kwargs["hospital"], kwargs["department"]
        if department.hospital_id != hospital.pk:
            # Reached through a SubFactory override such as doctor__department=d, which
            # bypasses _generate: pass doctor=DoctorFactory(department=d) instead.
            raise ValueError(
                "DoctorFactory: the department belongs to another hospital"
            )
        return super()._create(model_class, *args, **kwargs)


class ConsultingRoomFactory(factory.django.DjangoModelFactory):
    """A room in use; ConsultingRoomFactory(department=d) puts it in d's hospital."""

    class Meta:
        model = ConsultingRoom

    department = factory.SubFactory(DepartmentFactory)
    hospital = factory.SelfAttribute("department.hospital")
    name = factory.Sequence(lambda n: f"{n}号诊室")
    floor = "3F"
    building = "门诊楼"
    is_active = True
