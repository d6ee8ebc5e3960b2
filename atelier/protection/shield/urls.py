from django.urls import path

from atelier.protection.shield import views

app_name = "shield"

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("ai.txt", views.ai_txt, name="ai_txt"),
    path(".well-known/tdmrep.json", views.tdmrep_json, name="tdmrep"),
    path("tdm-policy.json", views.tdm_policy, name="tdm_policy"),
    path("do-not-train/", views.do_not_train, name="do_not_train"),
    path(".shield/pass", views.earn_pass, name="earn_pass"),
    path(".shield/check", views.check_pass, name="check_pass"),
    path("settings/protection/", views.protection_report, name="report"),
]
