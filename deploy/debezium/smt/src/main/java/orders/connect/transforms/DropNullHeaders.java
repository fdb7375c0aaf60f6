package orders.connect.transforms;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Removes headers whose value is null.
 *
 * <p>Debezium's outbox EventRouter places a column as a header even when the column is NULL,
 * which reaches Kafka as a header with a null value. The relay omits such a header (DESIGN §5:
 * {@code traceparent} only "when the request carried one"), so without this transform a
 * consumer could tell the two paths apart. Config {@code headers}: the header names to check;
 * empty means every header.
 */
public class DropNullHeaders<R extends ConnectRecord<R>> implements Transformation<R> {
  public static final String HEADERS_CONFIG = "headers";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              HEADERS_CONFIG,
              ConfigDef.Type.LIST,
              List.of(),
              ConfigDef.Importance.MEDIUM,
              "Names of the headers to drop when their value is null; empty = all headers.");

  private Set<String> names = Set.of();

  @Override
  public void configure(Map<String, ?> configs) {
    AbstractConfig config = new AbstractConfig(CONFIG_DEF, configs);
    names = new HashSet<>(config.getList(HEADERS_CONFIG));
  }

  @Override
  public R apply(R record) {
    if (record == null || record.headers().isEmpty()) return record;
    Headers kept = null;
    for (Header header : record.headers()) {
      if (header.value() == null && (names.isEmpty() || names.contains(header.key()))) {
        if (kept == null) kept = record.headers().duplicate();
        kept.remove(header.key());
      }
    }
    if (kept == null) return record;
    return record.newRecord(
        record.topic(),
        record.kafkaPartition(),
        record.keySchema(),
        record.key(),
        record.valueSchema(),
        record.value(),
        record.timestamp(),
        kept);
  }

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  public void close() {}
}
