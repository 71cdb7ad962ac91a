/*
 * Reference figures from ARX itself for tests/oracles/arx_reference.json.
 *
 * Build and run with benchmarks/arx_oracle/run.sh (needs a JDK, ARX's source tree and
 * its lib/ jars, and the SUDA2 library ARX used for sample uniques). Reads the Adult
 * extract and ARX's hierarchies from ADULT_DIR, prints one JSON object:
 *   - for fixed transformations (ARX's optima of data/README.md): suppressed records,
 *     DM (MetricSDNMDiscernability), DM* (MetricSDDiscernability), ARX's non-monotonic
 *     non-uniform entropy with its suppression term (MetricMDNUNMEntropy, SUM);
 *   - recursive (c, l)-diversity: whether ARX accepts the table at given values of c;
 *   - SUDA2 minimal sample uniques on the raw QIs (keys up to size 3).
 */
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.deidentifier.arx.ARXAnonymizer;
import org.deidentifier.arx.ARXConfiguration;
import org.deidentifier.arx.ARXResult;
import org.deidentifier.arx.AttributeType;
import org.deidentifier.arx.AttributeType.Hierarchy;
import org.deidentifier.arx.Data;
import org.deidentifier.arx.DataHandle;
import org.deidentifier.arx.criteria.DistinctLDiversity;
import org.deidentifier.arx.criteria.KAnonymity;
import org.deidentifier.arx.criteria.RecursiveCLDiversity;
import org.deidentifier.arx.metric.Metric;
import org.deidentifier.arx.metric.Metric.AggregateFunction;

import de.linearbits.suda2.SUDA2;
import de.linearbits.suda2.SUDA2ListenerKey;
import de.linearbits.suda2.SUDA2Statistics;

public class ArxReference {

    static final String[] QIS = {"sex", "age", "race", "marital-status", "education",
                                 "native-country", "workclass", "occupation"};
    static final String SENSITIVE = "salary-class";

    static Data load(String dir, boolean sensitive) throws Exception {
        Data data = Data.create(new File(dir, "adult.csv"), StandardCharsets.UTF_8, ';');
        for (String qi : QIS) {
            Hierarchy h = Hierarchy.create(new File(dir, "adult_hierarchy_" + qi + ".csv"),
                                           StandardCharsets.UTF_8, ';');
            data.getDefinition().setAttributeType(qi, h);
        }
        data.getDefinition().setAttributeType(SENSITIVE,
            sensitive ? AttributeType.SENSITIVE_ATTRIBUTE : AttributeType.INSENSITIVE_ATTRIBUTE);
        return data;
    }

    /** Run ARX on the single transformation `levels`; returns the result. */
    static ARXResult fixed(String dir, int[] levels, double suppression, Metric<?> metric,
                           boolean sensitive, Object... models) throws Exception {
        Data data = load(dir, sensitive);
        for (int i = 0; i < QIS.length; i++) {
            data.getDefinition().setMinimumGeneralization(QIS[i], levels[i]);
            data.getDefinition().setMaximumGeneralization(QIS[i], levels[i]);
        }
        ARXConfiguration config = ARXConfiguration.create();
        for (Object m : models) {
            config.addPrivacyModel((org.deidentifier.arx.criteria.PrivacyCriterion) m);
        }
        config.setSuppressionLimit(suppression);
        config.setQualityModel(metric);
        return new ARXAnonymizer().anonymize(data, config);
    }

    static String score(ARXResult result) {
        if (result.getGlobalOptimum() == null) return "null";
        Object value = result.getGlobalOptimum().getHighestScore().getValue();
        if (value instanceof double[]) {
            double sum = 0;
            for (double v : (double[]) value) sum += v;
            return String.format(Locale.ROOT, "%.6f", sum);
        }
        return String.format(Locale.ROOT, "%.6f", ((Number) value).doubleValue());
    }

    static int suppressed(ARXResult result) {
        DataHandle out = result.getOutput(result.getGlobalOptimum(), false);
        int n = 0;
        for (int row = 0; row < out.getNumRows(); row++) {
            if (out.isOutlier(row)) n++;
        }
        return n;
    }

    public static void main(String[] args) throws Exception {
        String dir = args[0];
        StringBuilder json = new StringBuilder("{\n");

        // 1. DM, DM* and non-uniform entropy at ARX's optima (data/README.md)
        Object[][] nodes = {
            {"k5_s5", new int[] {0, 3, 0, 0, 1, 1, 1, 2}, 0.05d, 5},
            {"k2_s0", new int[] {0, 4, 0, 1, 3, 2, 2, 1}, 0.0d, 2},
            {"k5_s0", new int[] {0, 4, 0, 2, 3, 2, 2, 1}, 0.0d, 5},
        };
        json.append("  \"transformations\": {\n");
        for (int i = 0; i < nodes.length; i++) {
            String name = (String) nodes[i][0];
            int[] levels = (int[]) nodes[i][1];
            double supp = (Double) nodes[i][2];
            int k = (Integer) nodes[i][3];
            ARXResult dm = fixed(dir, levels, supp, Metric.createDiscernabilityMetric(false), false,
                                 new KAnonymity(k));
            ARXResult dmStar = fixed(dir, levels, supp, Metric.createDiscernabilityMetric(true),
                                     false, new KAnonymity(k));
            ARXResult nue = fixed(dir, levels, supp,
                                  Metric.createEntropyMetric(false, AggregateFunction.SUM), false,
                                  new KAnonymity(k));
            json.append(String.format(Locale.ROOT,
                "    \"%s\": {\"levels\": %s, \"k\": %d, \"suppression_limit\": %s, "
                + "\"suppressed\": %d, \"dm\": %s, \"dm_star\": %s, \"nu_entropy\": %s}%s\n",
                name, java.util.Arrays.toString(levels), k, supp, suppressed(dm), score(dm),
                score(dmStar), score(nue), i + 1 < nodes.length ? "," : ""));
        }
        json.append("  },\n");

        // 2. recursive (c, 2)-diversity at a node where every class holds both salary classes
        int[] node = {0, 4, 0, 2, 3, 2, 2, 2};
        json.append("  \"recursive\": {\"levels\": ").append(java.util.Arrays.toString(node));
        json.append(", \"l\": 2, \"checks\": [");
        for (int i = 2; i < args.length; i++) {
            double c = Double.parseDouble(args[i]);
            ARXResult r = fixed(dir, node, 0.0, Metric.createDiscernabilityMetric(false), true,
                                new RecursiveCLDiversity(SENSITIVE, c, 2));
            boolean ok = r.getGlobalOptimum() != null
                && r.getGlobalOptimum().getAnonymity() == org.deidentifier.arx.ARXLattice.Anonymity.ANONYMOUS;
            json.append(String.format(Locale.ROOT, "%s{\"c\": %s, \"anonymous\": %s}",
                                      i > 2 ? ", " : "", Double.toString(c), ok));
        }
        json.append("]},\n");

        // 3. SUDA2 minimal sample uniques on the raw QIs
        int maxSize = Integer.parseInt(args[1]);
        Data data = load(dir, false);
        DataHandle handle = data.getHandle();
        int[][] matrix = new int[handle.getNumRows()][QIS.length];
        List<Map<String, Integer>> codes = new ArrayList<>();
        for (int j = 0; j < QIS.length; j++) codes.add(new HashMap<>());
        for (int row = 0; row < handle.getNumRows(); row++) {
            for (int j = 0; j < QIS.length; j++) {
                String v = handle.getValue(row, handle.getColumnIndexOf(QIS[j]));
                Map<String, Integer> m = codes.get(j);
                Integer code = m.get(v);
                if (code == null) { code = m.size(); m.put(v, code); }
                matrix[row][j] = code;
            }
        }
        SUDA2Statistics stats = new SUDA2(matrix).getKeyStatistics(maxSize, false);
        final long[] bySize = new long[maxSize + 1];
        final int[] perRow = new int[matrix.length];
        new SUDA2(matrix).getKeys(maxSize, new SUDA2ListenerKey() {
            @Override public void keyFound(int row, int size) { bySize[size]++; perRow[row]++; }
        });
        int rowsWithKey = 0;
        for (int c : perRow) if (c > 0) rowsWithKey++;
        json.append(String.format(Locale.ROOT,
            "  \"suda2\": {\"columns\": \"%s\", \"max_size\": %d, \"keys\": %d, "
            + "\"keys_by_size\": %s, \"records_with_key\": %d, \"column_contributions\": %s}\n",
            String.join(",", QIS), maxSize, stats.getNumKeys(), java.util.Arrays.toString(bySize),
            rowsWithKey, java.util.Arrays.toString(stats.getColumnKeyContributions())));
        json.append("}\n");
        System.out.print(json);
    }
}
