"""Domain event types published by the lager plugin."""

#: an outgoing movement left an artikel's total stock below its mindestbestand
#: payload: artikel_id, nummer, bestand, mindestbestand
BESTAND_UNTER_MINDESTBESTAND = "bestand.unter_mindestbestand"
