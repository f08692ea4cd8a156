from django.urls import path

from . import views

urlpatterns = [
    path("", views.review_queue, name="review-queue"),
    path("history/", views.review_history, name="review-history"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("items/<int:item_id>/decide", views.review_item_decide, name="review-decide"),
    path("items/<int:item_id>/frames/<int:index>", views.review_frame, name="review-frame"),
]
