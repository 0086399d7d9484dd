from celery import shared_task

from common.services import Actor


@shared_task
def appointments_expire_holds() -> int:
    from appointments.services import appointment_expire_holds

    return appointment_expire_holds()


@shared_task
def sessions_mark_no_shows() -> int:
    from appointments.services import sessions_mark_no_shows as mark

    return mark(actor=Actor.system())
