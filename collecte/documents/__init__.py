"""What collecte prints: QR codes, label sheets and certificates. Pure: no web, no database."""
