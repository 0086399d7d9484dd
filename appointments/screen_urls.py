from django.urls import path

from appointments import screen

app_name = "screen"
urlpatterns = [
    path(
        "department/<int:department_id>/",
        screen.department_screen_link,
        name="department-link",
    ),
    path(
        "department/<int:department_id>/<str:signature>/",
        screen.department_screen,
        name="department",
    ),
    path(
        "department/<int:department_id>/<str:signature>/data/",
        screen.department_screen_data,
        name="department-data",
    ),
]
