/*
 * bench/relay: Kafka's Java producer at steady state with the relay's exact records — the same
 * keys, values and CloudEvents headers (read from a file the bench writes from the outbox through
 * @orders/kafka's outboxRecord), the same acks, idempotence and in-flight settings, and as many
 * producers as the relay has batches in flight. Kafka's own ProducerPerformance sends a value
 * only (integer keys at best, never headers), so it cannot be that denominator (issue 17).
 *
 * Run with the kafka-clients jars on the classpath (single-file source launch, Java 17+):
 *   java -cp <jars> ExactRecordPerformance.java <bootstrap> <topic> <records file> <producers>
 *        <warm-up seconds> <measured seconds> [producer.prop=value ...]
 * Prints one line: "exact-records: <records/s> records/s, <MB/s> MB/s, avg <ms> ms, p99 <ms> ms, ...".
 * Only acknowledgements that arrive inside the measured window count (after the warm-up: JIT,
 * connections, producer ids, the broker's page cache), so a slow start does not dilute the rate.
 */
import java.io.DataInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class ExactRecordPerformance {
  record Rec(byte[] key, byte[] value, RecordHeaders headers, int bytes) {}

  /** File format (written by bench/relay/lib.ts): per record key, value, header count, then name/value pairs; int32 length-prefixed. */
  static List<Rec> read(Path file) throws Exception {
    List<Rec> out = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      while (true) {
        byte[] key;
        try {
          key = in.readNBytes(in.readInt());
        } catch (EOFException end) {
          return out;
        }
        byte[] value = in.readNBytes(in.readInt());
        int count = in.readInt();
        RecordHeaders headers = new RecordHeaders();
        int bytes = key.length + value.length;
        for (int i = 0; i < count; i++) {
          String name = new String(in.readNBytes(in.readInt()), java.nio.charset.StandardCharsets.UTF_8);
          byte[] v = in.readNBytes(in.readInt());
          headers.add(new RecordHeader(name, v));
          bytes += name.length() + v.length;
        }
        headers.setReadOnly();
        out.add(new Rec(key, value, headers, bytes));
      }
    }
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    List<Rec> records = read(Path.of(args[2]));
    int producers = Integer.parseInt(args[3]);
    long warmNs = (long) (Double.parseDouble(args[4]) * 1e9);
    long measureNs = (long) (Double.parseDouble(args[5]) * 1e9);
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    for (int i = 6; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }

    long start = System.nanoTime();
    long windowStart = start + warmNs;
    long windowEnd = windowStart + measureNs;
    AtomicLong acked = new AtomicLong();
    AtomicLong ackedBytes = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong latencySumUs = new AtomicLong();
    // Latency histogram in 0.1 ms buckets up to 10 s.
    AtomicLongArray histogram = new AtomicLongArray(100_001);

    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < producers; t++) {
      final int offset = t * (records.size() / Math.max(1, producers));
      Thread thread = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
          int i = offset;
          while (System.nanoTime() < windowEnd) {
            Rec r = records.get(i++ % records.size());
            long sent = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, null, r.key(), r.value(), r.headers()), (metadata, error) -> {
              long now = System.nanoTime();
              if (now < windowStart || now > windowEnd) return;
              if (error != null) {
                failed.incrementAndGet();
                return;
              }
              acked.incrementAndGet();
              ackedBytes.addAndGet(r.bytes());
              long us = (now - sent) / 1_000;
              latencySumUs.addAndGet(us);
              histogram.incrementAndGet((int) Math.min(100_000, us / 100));
            });
          }
          producer.flush();
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) thread.join();

    double seconds = measureNs / 1e9;
    long n = acked.get();
    long rank = (long) Math.ceil(n * 0.99);
    long seen = 0;
    double p99 = Double.NaN;
    for (int b = 0; b < histogram.length(); b++) {
      seen += histogram.get(b);
      if (seen >= rank && n > 0) {
        p99 = b / 10.0;
        break;
      }
    }
    System.out.printf(
        "exact-records: %.1f records/s, %.2f MB/s, avg %.2f ms, p99 %.1f ms, %d records acked in %.1f s after %.1f s warm-up, %d producers, %d failed, mean record %d B%n",
        n / seconds,
        ackedBytes.get() / seconds / 1e6,
        n > 0 ? latencySumUs.get() / 1000.0 / n : Double.NaN,
        p99,
        n,
        seconds,
        warmNs / 1e9,
        producers,
        failed.get(),
        n > 0 ? ackedBytes.get() / n : 0);
  }
}
