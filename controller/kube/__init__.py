"""The Kubernetes controllers (opt-in, ``kubernetes.enabled``): NADs are the
API (:mod:`.nads`), Pods and Nodes the truth for cleanup (:mod:`.cleanup`),
the API server checks what nodes claim (:mod:`.checks`); one component the
daemon starts and stops (:mod:`.controller`). Importing this package loads
no Kubernetes client: :mod:`.client` imports kubernetes_asyncio when it
connects."""
