"""What the image page shows: refusal messages, and a classification as text, chart, overlays."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ml.serving.vision import IMAGE_SIZE

from ..i18n import current_language
from ..ui.charts import FONT, Chart, layout, percent_suffix, wrap_label
from ..ui.formatting import percent
from .categories import category_name
from .overlays import heatmap_image, png_data_uri, summarise

MODEL_NAMES = {"vit": "ViT (DINOv2)", "efficientnet": "EfficientNet-Lite0"}
BAR_COLOURS = {"vit": "#0072B2", "efficientnet": "#D55E00"}  # Okabe–Ito


def refusal_status(reason: str) -> int:
    """The HTTP status of a refused upload: 413 too big, 415 not a photo type, else 422."""
    if reason in ("too_large", "too_many_pixels", "too_many_pixels_full", "input_too_large"):
        return 413
    if reason in ("gif", "pdf", "svg", "unknown"):
        return 415
    if reason in ("missing", "malformed", "wrong_size"):
        return 400
    return 422


def refusal_message(reason: str, limits: dict[str, int]) -> str:
    """A message saying what was wrong with the file and what to do."""
    megabytes = limits["max_bytes"] / 1024 / 1024
    megapixels = limits["max_pixels"] / 1_000_000
    messages = {
        "missing": _("Choisissez une photo à envoyer."),
        "empty": _("Le fichier est vide (0 octet). Choisissez une photo JPEG, PNG ou WebP."),
        "too_large": _("Le fichier dépasse %(mb).0f Mo. Envoyez une photo plus légère.",
                       mb=megabytes),
        "too_many_pixels": _("L'image a trop de pixels (plus de %(mp).0f millions) : elle est "
                             "refusée sans être décodée. Réduisez sa taille.", mp=megapixels),
        "too_many_pixels_full": _(
            "Une image PNG ou WebP de plus de %(mp).0f millions de pixels est refusée sans "
            "être décodée (seul le JPEG se décode à taille réduite). Réduisez-la ou envoyez-la "
            "en JPEG.", mp=limits.get("max_decoded_pixels", 16_000_000) / 1_000_000),
        "gif": _("Les images GIF (souvent animées) ne sont pas acceptées. Envoyez une photo "
                 "JPEG, PNG ou WebP."),
        "pdf": _("Ce fichier est un PDF, pas une photo (son nom ne compte pas, seul son contenu "
                 "est lu). Envoyez une photo JPEG, PNG ou WebP."),
        "svg": _("Les images SVG (dessins vectoriels, qui peuvent contenir des scripts) ne sont "
                 "pas acceptées. Envoyez une photo JPEG, PNG ou WebP."),
        "unknown": _("Ce fichier n'est pas une photo JPEG, PNG ou WebP (son contenu a été lu, "
                     "pas son nom)."),
        "too_small": _("L'image est trop petite pour être classée (16 pixels de côté au moins)."),
        "animated": _("Les images animées ne sont pas acceptées : envoyez une photo fixe."),
        "corrupt": _("Le fichier est tronqué ou abîmé : l'image ne peut pas être lue. "
                     "Envoyez-la de nouveau."),
        # The photo a result page sends back for its occlusion maps (not a user's file).
        "malformed": _("La photo renvoyée pour la carte d'occlusion n'est pas une image PNG "
                       "lisible. Envoyez de nouveau votre photo."),
        "input_too_large": _("La photo renvoyée pour la carte d'occlusion est trop "
                             "volumineuse pour une image de %(side)s × %(side)s pixels. "
                             "Envoyez de nouveau votre photo.", side=IMAGE_SIZE),
        "wrong_size": _("La photo renvoyée pour la carte d'occlusion doit faire exactement "
                        "%(side)s × %(side)s pixels (la photo telle que les modèles la voient). "
                        "Envoyez de nouveau votre photo.", side=IMAGE_SIZE),
    }
    return messages.get(reason, messages["unknown"])


def _place(row: int, column: int) -> str:
    places = [[_("en haut à gauche"), _("en haut au centre"), _("en haut à droite")],
              [_("à gauche"), _("au centre"), _("à droite")],
              [_("en bas à gauche"), _("en bas au centre"), _("en bas à droite")]]
    return places[row][column]


def _method_name(method: str) -> str:
    return {"occlusion": _("Occlusion (même méthode pour les deux modèles)"),
            "rollout": _("Attention rollout (propre au ViT)"),
            "cam": _("Carte d'activation de classe, CAM (propre à l'EfficientNet)")
            }.get(method, method)


def overlay_view(method: str, saliency, label: str, model_id: str) -> dict[str, Any]:
    """One saliency map for the template: its heatmap, its name and its text description."""
    summary = summarise(saliency)
    share = round(100 * summary.coverage)
    context = {"method": _method_name(method), "label": category_name(label),
               "place": _place(summary.row, summary.column)}
    if share >= 1:
        description = _("%(method)s : la zone qui a le plus pesé dans la prédiction "
                        "« %(label)s » est %(place)s ; les zones marquantes couvrent %(share)s %% "
                        "de la photo.", share=share, **context)
    else:
        description = _("%(method)s : la zone qui a le plus pesé dans la prédiction "
                        "« %(label)s » est %(place)s ; elle est très concentrée (moins de 1 %% "
                        "de la photo).", **context)
    return {"id": f"{model_id}-{method}", "method": method, "name": _method_name(method),
            "heatmap": png_data_uri(heatmap_image(saliency)), "description": description}


def _top5_chart(model_id: str, top5: list[list[Any]]) -> Chart:
    top5 = [(category_name(label), float(p)) for label, p in top5]
    labels = [wrap_label(label, 20) for label, _p in top5][::-1]
    values = [round(100 * p, 1) for _l, p in top5][::-1]
    name = MODEL_NAMES.get(model_id, model_id)
    language = current_language()
    figure = {
        "data": [{"type": "bar", "orientation": "h", "x": values, "y": labels,
                  "marker": {"color": BAR_COLOURS.get(model_id, "#009E73")},
                  "text": [percent(p, language) for _l, p in top5][::-1],
                  "textposition": "auto",
                  "hovertemplate": "%{y}: %{text}<extra></extra>"}],
        "layout": layout(height=250, font=FONT,
                         margin={"l": 10, "r": 20, "t": 10, "b": 40},
                         xaxis={"range": [0, 100], "ticksuffix": percent_suffix(),
                                "title": {"text": _("Probabilité")}},
                         yaxis={"automargin": True}),
    }
    best, probability = top5[0]
    return Chart(id=f"{model_id}-top5", title=_("%(model)s : les 5 catégories les plus probables",
                                                   model=name),
                 summary=_("%(model)s prédit « %(label)s » avec une probabilité de %(p)s.",
                           model=name, label=best, p=percent(probability, current_language())),
                 figure=figure, columns=[_("Catégorie"), _("Probabilité")],
                 rows=[[label, percent(p, current_language())] for label, p in top5])


def classification_view(vision, image, outcome: dict, name: str) -> dict[str, Any]:
    """The result for the template: the photo as the models saw it, and per model its label,
    top-5 (text, table, chart), time and saliency overlays (shared method first, or a
    placeholder for it when the classification left it out)."""
    photo = png_data_uri(vision.model_input(image))
    columns = []
    for model_id, entry in outcome["models"].items():
        maps = entry.get("saliency", {})
        ordered = ["occlusion"] + [m for m in maps if m != "occlusion"]
        columns.append({
            "id": model_id, "name": MODEL_NAMES.get(model_id, model_id),
            "label": entry["label"], "label_shown": category_name(entry["label"]),
            "probability": float(entry["top5"][0][1]),
            "top5": [(category_name(label), float(p)) for label, p in entry["top5"]],
            "ms": float(entry["ms"]), "chart": _top5_chart(model_id, entry["top5"]),
            "overlays": [overlay_view(m, maps[m], entry["label"], model_id)
                         for m in ordered if m in maps],
            # Left out of a first, quick answer: the page fetches it (see routes).
            "occlusion_pending": "saliency" in entry and "occlusion" not in maps,
        })
    return {"photo": photo, "name": name, "models": columns, "agree": bool(outcome["agree"]),
            "uncertain": bool(outcome.get("uncertain")),
            "reasons": uncertainty_reasons(outcome.get("uncertainty", {}).get("reasons", []))}


def uncertainty_reasons(reasons: list[dict[str, Any]]) -> list[str]:
    """Why the models are unsure, one sentence per reason, in the page's language."""
    language = current_language()
    sentences = []
    for reason in reasons:
        code = reason.get("code")
        if code == "low_confidence":
            sentences.append(_(
                "Confiance faible : en moyenne, les deux modèles ne donnent que %(p)s à leur "
                "catégorie la plus probable (en dessous de %(threshold)s, ils se trompent "
                "souvent).", p=percent(float(reason["confidence"]), language),
                threshold=percent(float(reason["threshold"]), language)))
        elif code == "models_disagree":
            named = ", ".join(_("%(model)s : « %(label)s »", model=MODEL_NAMES.get(m, m),
                                label=category_name(label))
                              for m, label in reason.get("labels", {}).items())
            sentences.append(_("Les modèles ne sont pas d'accord (%(which)s) : l'un des deux "
                               "au moins se trompe.", which=named))
        elif code == "unfamiliar":
            sentences.append(_("La photo ne ressemble à aucun produit que les modèles "
                               "connaissent : elle est loin de toutes leurs photos "
                               "d'entraînement (image vide, bruit, texte, objet d'une autre "
                               "catégorie…)."))
    return sentences


def confusion_chart(chart_id: str, title: str, labels: list[str], matrix: list[list[int]],
                    phone_rows: bool = False) -> Chart:
    """A confusion matrix as a heatmap (cells numbered, viridis), its summary (how many on the
    diagonal) and its table, with the categories in the page's language. ``phone_rows``:
    row names on several lines, so that a phone keeps room for the cells."""
    shown = [category_name(label) for label in labels]
    correct = sum(matrix[i][i] for i in range(len(matrix)))
    total = sum(sum(row) for row in matrix)
    rows = [wrap_label(name, 14) for name in shown] if phone_rows else shown
    margin = {"l": 10, "r": 10, "t": 10, "b": 10} if phone_rows \
        else {"l": 190, "r": 20, "t": 10, "b": 150}
    figure = {
        "data": [{"type": "heatmap", "z": matrix, "x": shown, "y": rows,
                  "colorscale": "Viridis", "showscale": True,
                  "text": matrix, "texttemplate": "%{text}",
                  "hovertemplate": _("Réel : %(y)s, prédit : %(x)s, %(z)s photos",
                                     y="%{y}", x="%{x}", z="%{z}") + "<extra></extra>"}],
        "layout": layout(height=540 if phone_rows else 420, margin=margin,
                         xaxis={"title": {"text": _("Catégorie prédite")}, "automargin": True},
                         yaxis={"title": {"text": _("Catégorie réelle")}, "autorange": "reversed",
                                "automargin": True}),
    }
    return Chart(id=chart_id, title=title,
                 summary=_("%(correct)s photos sur %(total)s sont sur la diagonale (bien "
                           "classées).", correct=correct, total=total),
                 figure=figure, columns=[_("Réel \\ prédit")] + shown,
                 rows=[[shown[i]] + list(row) for i, row in enumerate(matrix)])

