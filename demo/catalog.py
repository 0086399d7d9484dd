"""The hospitals of the demo: three of them, their two-level departments and sixty doctors.

北京仁和医院 and 上海瑞康医院 are grade 3A general hospitals, 广州南山中医医院 a grade 2A
hospital of traditional Chinese medicine. Each has top-level departments (大科室) with
their clinics (科室), and every clinic four doctors from chief physician down to resident,
with the registration fee falling with the title. Every clinic has two consulting rooms
(诊室) in the outpatient building, one floor per top-level department: the chief and the
associate chief share 1诊室, the other two 2诊室. The data is fixed, not random.
"""

from typing import Any

from django.core.management.base import CommandError

from demo.seeding import SeedContext
from hospitals.models import ConsultingRoom, Department, Doctor, Hospital
from hospitals.rooms import consulting_room_create
from hospitals.services import department_create, doctor_create, hospital_create

HOSPITALS: list[dict[str, Any]] = [
    {
        "name": "北京仁和医院",
        "level": Hospital.Level.GRADE_3A,
        "region": "北京市朝阳区",
        "address": "北京市朝阳区朝阳北路101号",
        "phone": "010-65881234",
        "introduction": "集医疗、教学、科研于一体的三级甲等综合医院，心血管、消化和骨科为重点专科。",
    },
    {
        "name": "上海瑞康医院",
        "level": Hospital.Level.GRADE_3A,
        "region": "上海市徐汇区",
        "address": "上海市徐汇区漕溪北路88号",
        "phone": "021-64375678",
        "introduction": "三级甲等综合医院，神经内科、内分泌科和眼科在华东地区享有盛誉。",
    },
    {
        "name": "广州南山中医医院",
        "level": Hospital.Level.GRADE_2A,
        "region": "广州市天河区",
        "address": "广州市天河区天河路233号",
        "phone": "020-38869012",
        "introduction": "二级甲等中医医院，以中医内科、针灸推拿见长。",
    },
]

# Per hospital: top-level departments (大科室), each with its clinics (科室) and, per
# clinic, the specialty line its doctors share and four doctors, most senior first.
TREE: dict[str, list[tuple[str, list[tuple[str, str, list[str]]]]]] = {
    "北京仁和医院": [
        (
            "内科",
            [
                ("心血管内科", "冠心病、高血压、心律失常", ["张伟", "王芳", "李娜", "刘洋"]),
                ("消化内科", "胃肠疾病、消化内镜诊疗", ["陈静", "杨磊", "赵敏", "黄勇"]),
                ("呼吸内科", "慢阻肺、哮喘、肺部感染", ["周杰", "吴霞", "徐涛", "孙丽"]),
            ],
        ),
        (
            "外科",
            [
                ("普通外科", "甲状腺、疝气及胆道微创手术", ["胡斌", "朱琳", "高峰", "林燕"]),
                ("骨科", "关节置换、脊柱外科、运动损伤", ["何军", "郭倩", "马超", "罗婷"]),
            ],
        ),
        (
            "妇产科",
            [
                ("妇科", "妇科肿瘤、宫腔镜诊疗", ["梁宇", "宋佳", "郑浩", "谢娟"]),
                ("产科", "高危妊娠、产前诊断", ["韩冰", "唐亮", "冯雪", "于洋"]),
            ],
        ),
    ],
    "上海瑞康医院": [
        (
            "内科",
            [
                ("内分泌科", "糖尿病、甲状腺疾病、骨质疏松", ["董洁", "萧然", "程刚", "曹颖"]),
                ("神经内科", "脑血管病、癫痫、帕金森病", ["袁野", "邓琪", "许晨", "傅强"]),
            ],
        ),
        (
            "五官科",
            [
                ("眼科", "白内障、青光眼、眼底病", ["沈悦", "曾毅", "彭程", "吕薇"]),
                ("耳鼻喉科", "鼻窦炎、听力障碍、咽喉疾病", ["苏航", "卢芸", "蒋睿", "蔡明"]),
            ],
        ),
        (
            "儿科",
            [
                ("小儿内科", "儿童呼吸道感染、哮喘、生长发育", ["贾欣", "丁宁", "魏巍", "薛凯"]),
            ],
        ),
    ],
    "广州南山中医医院": [
        (
            "中医内科",
            [
                ("脾胃病科", "慢性胃炎、功能性消化不良的中医调理", ["叶青", "阎博", "余婧", "潘东"]),
                ("针灸科", "颈肩腰腿痛、面瘫、失眠的针灸治疗", ["杜鹃", "戴维", "夏天", "钟磊"]),
            ],
        ),
        (
            "康复科",
            [
                ("推拿科", "颈椎病、腰椎间盘突出的推拿康复", ["汪洁", "田野", "任杰", "姜楠"]),
            ],
        ),
    ],
}  # fmt: skip

# Most senior first, with the registration fee in fen.
TITLES_AND_FEES: list[tuple[str, int]] = [
    (Doctor.Title.CHIEF, 5000),
    (Doctor.Title.ASSOCIATE_CHIEF, 3000),
    (Doctor.Title.ATTENDING, 2000),
    (Doctor.Title.RESIDENT, 1000),
]


def seed_hospital(ctx: SeedContext, data: dict[str, Any]) -> bool:
    if Hospital.objects.filter(name=data["name"]).exists():
        return False
    hospital_create(actor=ctx.actor, **data)
    return True


def department_items() -> list[dict[str, Any]]:
    items = []
    for hospital, tops in TREE.items():
        for top_order, (top, clinics) in enumerate(tops, start=1):
            items.append(
                {
                    "hospital": hospital,
                    "parent": None,
                    "name": top,
                    "sort_order": top_order,
                }
            )
            for order, (clinic, specialty, _doctors) in enumerate(clinics, start=1):
                items.append(
                    {
                        "hospital": hospital,
                        "parent": top,
                        "name": clinic,
                        "sort_order": order,
                        "introduction": f"{clinic}门诊，擅长{specialty}。",
                    }
                )
    return items


def _department(
    ctx: SeedContext, hospital: str, parent: str | None, name: str
) -> Department | None:
    in_hospital = Department.objects.filter(hospital=ctx.hospital(hospital))
    if parent is None:
        return in_hospital.filter(parent__isnull=True, name=name).first()
    return in_hospital.filter(
        parent__parent__isnull=True, parent__name=parent, name=name
    ).first()


def seed_department(ctx: SeedContext, data: dict[str, Any]) -> bool:
    if _department(ctx, data["hospital"], data["parent"], data["name"]) is not None:
        return False
    parent = None
    if data["parent"] is not None:
        parent = _department(ctx, data["hospital"], None, data["parent"])
    department_create(
        actor=ctx.actor,
        hospital=ctx.hospital(data["hospital"]),
        parent=parent,
        name=data["name"],
        sort_order=data["sort_order"],
        introduction=data.get("introduction", ""),
    )
    return True


def doctor_items() -> list[dict[str, Any]]:
    items = []
    for hospital, tops in TREE.items():
        for top, clinics in tops:
            for clinic, specialty, names in clinics:
                for name, (title, fee) in zip(names, TITLES_AND_FEES, strict=True):
                    items.append(
                        {
                            "hospital": hospital,
                            "top": top,
                            "clinic": clinic,
                            "name": name,
                            "title": title,
                            "fee": fee,
                            "specialty": specialty,
                        }
                    )
    return items


def seed_doctor(ctx: SeedContext, data: dict[str, Any]) -> bool:
    department = _department(ctx, data["hospital"], data["top"], data["clinic"])
    if department is None:
        raise CommandError(f"department {data['clinic']} is missing")
    if Doctor.objects.filter(department=department, name=data["name"]).exists():
        return False
    title = Doctor.Title(data["title"])
    doctor_create(
        actor=ctx.actor,
        hospital=department.hospital,
        department=department,
        name=data["name"],
        title=title,
        fee=data["fee"],
        specialty=data["specialty"],
        introduction=f"{title.label}，从事{data['clinic']}临床工作多年，擅长{data['specialty']}。",
    )
    return True


def room_for_title(title: str) -> str:
    """The senior two doctors of a clinic see patients in 1诊室, the others in 2诊室."""
    senior = title in (Doctor.Title.CHIEF, Doctor.Title.ASSOCIATE_CHIEF)
    return "1诊室" if senior else "2诊室"


def room_items() -> list[dict[str, Any]]:
    items = []
    for hospital, tops in TREE.items():
        for floor, (top, clinics) in enumerate(tops, start=2):
            for clinic, _specialty, _doctors in clinics:
                for name in ("1诊室", "2诊室"):
                    items.append(
                        {
                            "hospital": hospital,
                            "top": top,
                            "clinic": clinic,
                            "name": name,
                            "floor": f"{floor}F",
                            "building": "门诊楼",
                        }
                    )
    return items


def seed_room(ctx: SeedContext, data: dict[str, Any]) -> bool:
    department = _department(ctx, data["hospital"], data["top"], data["clinic"])
    if department is None:
        raise CommandError(f"department {data['clinic']} is missing")
    if ConsultingRoom.objects.filter(department=department, name=data["name"]).exists():
        return False
    consulting_room_create(
        actor=ctx.actor,
        department=department,
        name=data["name"],
        floor=data["floor"],
        building=data["building"],
    )
    return True
