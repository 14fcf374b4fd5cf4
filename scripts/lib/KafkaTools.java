// A warm JVM for Kafka's own command-line tools: scripts/kafka start launches it beside the broker, and
// scripts/kafka topic / consume / java run TopicCommand, GetOffsetShell and ConsoleConsumer in it instead of
// starting a JVM for each call (about 0.9 s of one core each on 2 cores, three or four calls per test).
// The tools are the same classes, called through their main(), with the same arguments.
//
//   java -cp '<kafka libs>/*' scripts/lib/KafkaTools.java PORT_FILE
//
// It listens on an ephemeral loopback port and writes the port to PORT_FILE once it accepts requests (until then
// scripts/kafka starts a JVM per call, as it always did). One request per connection, fields NUL-terminated:
//   ARGC, STDOUT_FILE, STDERR_FILE, MAIN_CLASS, ARG...     (ARGC counts MAIN_CLASS and its arguments)
// The tool's System.out and System.err go to the two files; the answer is its exit status and a newline.
// Requests run one at a time: the tools keep static state (ConsoleConsumer counts messages in a static field,
// reset here before each run) and System.out is global.
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

public final class KafkaTools {
  // Only tools that read no relative paths and no stdin: this JVM's working directory is not the caller's.
  static final Set<String> TOOLS = Set.of("org.apache.kafka.tools.TopicCommand",
      "org.apache.kafka.tools.GetOffsetShell", "org.apache.kafka.tools.consumer.ConsoleConsumer");

  // The first status a tool passed to Kafka's Exit.exit/halt during the current request, or null.
  static volatile Integer exitStatus;

  public static void main(String[] args) throws Exception {
    if (args.length != 1) throw new IllegalArgumentException("usage: KafkaTools PORT_FILE");
    routeExitsHere();
    try (ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress())) {
      Path portFile = Path.of(args[0]);
      Path tmp = Path.of(args[0] + ".tmp");
      Files.writeString(tmp, server.getLocalPort() + "\n");
      Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      for (;;) {
        try (Socket s = server.accept()) {
          serve(s);
        } catch (IOException | RuntimeException e) {
          System.err.println("KafkaTools: request failed: " + e);
        }
      }
    }
  }

  // Kafka 4.x has org.apache.kafka.common.utils.internals.Exit, 3.x org.apache.kafka.common.utils.Exit (the Scala
  // tools' kafka.utils.Exit delegates to it). An exit records its status and returns: throwing would not do, since
  // TopicCommand calls Exit.exit(0) inside a catch (Throwable) that turns whatever it catches into status 1. The
  // tools only close and return after calling it. Shutdown hooks are not registered: this JVM outlives every tool
  // run (ConsoleConsumer's hook would wait on a latch of a consumer long closed).
  static void routeExitsHere() throws ReflectiveOperationException {
    int found = 0;
    for (String name : List.of("org.apache.kafka.common.utils.internals.Exit", "org.apache.kafka.common.utils.Exit")) {
      Class<?> exit;
      try {
        exit = Class.forName(name);
      } catch (ClassNotFoundException e) {
        continue;
      }
      Class<?> procedure = Class.forName(name + "$Procedure");
      Class<?> hookAdder = Class.forName(name + "$ShutdownHookAdder");
      Object record = proxy(procedure, a -> {
        if (exitStatus == null) exitStatus = (Integer) a[0];
        return null;
      });
      exit.getMethod("setExitProcedure", procedure).invoke(null, record);
      exit.getMethod("setHaltProcedure", procedure).invoke(null, record);
      exit.getMethod("setShutdownHookAdder", hookAdder).invoke(null, proxy(hookAdder, a -> null));
      ++found;
    }
    if (found == 0) throw new ClassNotFoundException("Kafka's Exit class (kafka-clients) is not on the classpath");
  }

  interface Body {
    Object call(Object[] args);
  }

  static Object proxy(Class<?> iface, Body body) {
    return Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, (self, method, a) -> {
      switch (method.getName()) {
        case "hashCode": return System.identityHashCode(self);
        case "equals": return self == a[0];
        case "toString": return "KafkaTools." + iface.getSimpleName();
        default: return body.call(a);
      }
    });
  }

  static void serve(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    int argc = Integer.parseInt(field(in));
    if (argc < 1 || argc > 1000) throw new IOException("bad argument count " + argc);
    String outFile = field(in), errFile = field(in);
    List<String> argv = new ArrayList<>();
    for (int i = 0; i < argc; ++i) argv.add(field(in));
    int status = run(argv, outFile, errFile);
    OutputStream out = s.getOutputStream();
    out.write((status + "\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  static String field(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (;;) {
      int c = in.read();
      if (c < 0) throw new IOException("request ended inside a field");
      if (c == 0) return b.toString(StandardCharsets.UTF_8);
      b.write(c);
    }
  }

  static int run(List<String> argv, String outFile, String errFile) throws IOException {
    PrintStream savedOut = System.out, savedErr = System.err;
    try (PrintStream out = new PrintStream(new FileOutputStream(outFile), true, StandardCharsets.UTF_8);
         PrintStream err = new PrintStream(new FileOutputStream(errFile), true, StandardCharsets.UTF_8)) {
      if (!TOOLS.contains(argv.get(0))) {
        err.println("KafkaTools: " + argv.get(0) + " is not run here (only " + TOOLS + ")");
        return 2;
      }
      System.setOut(out);
      System.setErr(err);
      exitStatus = null;
      int status = 0;
      try {
        Class<?> tool = Class.forName(argv.get(0));
        resetCounters(tool);
        String[] rest = argv.subList(1, argv.size()).toArray(new String[0]);
        tool.getMethod("main", String[].class).invoke(null, (Object) rest);
      } catch (InvocationTargetException e) {
        e.getCause().printStackTrace(err);
        status = 1;
      } catch (ReflectiveOperationException | RuntimeException e) {
        e.printStackTrace(err);
        status = 1;
      } finally {
        System.setOut(savedOut);
        System.setErr(savedErr);
      }
      return exitStatus != null ? exitStatus : status;
    }
  }

  // ConsoleConsumer's static messageCount would otherwise carry over, and --max-messages compares against it.
  static void resetCounters(Class<?> tool) throws IllegalAccessException {
    for (Field f : tool.getDeclaredFields()) {
      int m = f.getModifiers();
      if (f.getName().equals("messageCount") && Modifier.isStatic(m) && !Modifier.isFinal(m) &&
          f.getType() == int.class) {
        f.setAccessible(true);
        f.setInt(null, 0);
      }
    }
  }
}
