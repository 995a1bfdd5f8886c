"""Test certificates made with the openssl CLI: a CA and the certificates it signs."""

import os
import subprocess


class Pki:
    """A CA and the certificates it signs, in one folder."""

    def __init__(self, folder, name):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.ca_crt, self.ca_key = self._path(name + "-ca")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-days", "2", "-subj", f"/CN={name} test CA",
                      "-keyout", self.ca_key, "-out", self.ca_crt)

    def issue(self, name, dns_name):
        crt, key = self._path(name)
        csr = os.path.join(self.folder, name + ".csr")
        ext = os.path.join(self.folder, name + ".ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{dns_name}\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-subj", f"/CN={dns_name}", "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
        return crt, key

    def _path(self, name):
        return os.path.join(self.folder, name + ".crt"), os.path.join(self.folder, name + ".key")

    @staticmethod
    def _openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
