"""The theory item bank (bank zadań testowych): content files, versions, review, import and export."""
