"""BERTopic's MMR keywords, with every topic's texts embedded in one batch beforehand.

``MaximalMarginalRelevance`` embeds, topic by topic, the topic's candidate words and the words
joined into one text: two embedder calls per topic, and after any change to a topic's words the
joined text is new, so each topic cost a forward pass of its own (about 0.3 CPU s of a rerun's
71 topics). ``BatchedMMR`` embeds all of those texts in one call first, through the run's vector
cache, so the per-topic calls read the cache. That is the same result only when a text's vector
does not depend on its batch-mates and the embedder keeps what it embeds (``embeds_ahead``); the
topic stage uses BERTopic's own MMR otherwise.
"""

from __future__ import annotations

from nlp.startup import import_bertopic

import_bertopic(umap=False)  # without torch, as everywhere in the project

from bertopic.representation import MaximalMarginalRelevance  # noqa: E402

__all__ = ["BatchedMMR", "embeds_ahead"]


def embeds_ahead(embedder) -> bool:
    """Whether ``embedder`` keeps its vectors in a cache and its model's vectors are batch-independent.

    The default fp32 ONNX backend gives the same vectors alone or batched, and int8 runs each
    text alone (``nlp.embeddings_onnx.OnnxEmbedder.batch_independent``); sentence-transformers
    pads each batch, so it keeps BERTopic's MMR.
    """
    base = getattr(embedder, "embedder", None)
    return getattr(embedder, "cache", None) is not None and getattr(base, "batch_independent", False)


class BatchedMMR(MaximalMarginalRelevance):
    """``MaximalMarginalRelevance`` that embeds every topic's look-ups in one call first."""

    def extract_topics(self, topic_model, documents, c_tf_idf, topics):
        if topic_model.embedding_model is not None:
            lists = [[word for word, _ in topic_words] for topic_words in topics.values()]
            texts = [*dict.fromkeys(w for words in lists for w in words), *(" ".join(words) for words in lists)]
            topic_model._extract_embeddings(texts, method="word", verbose=False)  # into the vector cache
        return super().extract_topics(topic_model, documents, c_tf_idf, topics)
