"""Files of sound and picture: storage (local, S3), uploads, probing, transcoding, captions.

Knows nothing of questions or tenants: it takes bytes and keys and gives back media records
and URLs. It uses the shared infrastructure of ``panel`` and no domain module.
"""
