from django.urls import path

from . import views

urlpatterns = [
    path("items/<int:item_id>/frames/<int:index>", views.review_frame, name="review-frame"),
]
